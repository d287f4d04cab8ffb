package dev.mixtape.engine;

import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/**
 * Chooses a backend by name among those a {@link BackendProvider} offers: {@code vector} (the
 * default) and {@code nd4j} ship with the engine. The one documented switch is the system property
 * {@code mixtape.backend} (or, when unset, the environment variable {@code MIXTAPE_BACKEND}); the
 * Vector backend's thread count comes from {@code mixtape.threads} ({@code MIXTAPE_THREADS}),
 * default: the number of cores.
 */
public final class Backends {
    private Backends() {
    }

    private static final class Configured {
        static final Backend INSTANCE = create(setting("mixtape.backend", "MIXTAPE_BACKEND", "vector"));
    }

    /**
     * The backend the switch above names, created on first use and shared by every caller of this
     * method (a backend may hold a thread pool). Code that receives a backend takes it as a parameter;
     * this is where a program or a test picks one.
     */
    public static Backend defaultBackend() {
        return Configured.INSTANCE;
    }

    /** A new backend by name, as its {@link BackendProvider} makes it. */
    public static Backend create(String name) {
        String wanted = name.toLowerCase(Locale.ROOT);
        List<BackendProvider> providers = ServiceLoader.load(BackendProvider.class).stream()
                .map(ServiceLoader.Provider::get).toList();
        return providers.stream().filter(provider -> provider.name().equals(wanted)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown backend '" + name + "': use "
                        + String.join(" or ", providers.stream().map(BackendProvider::name).toList())))
                .create();
    }

    /** The system property {@code property}, else the environment variable {@code env}, else {@code fallback}. */
    public static String setting(String property, String env, String fallback) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            value = System.getenv(env);
        }
        return value == null || value.isBlank() ? fallback : value.trim();
    }
}
