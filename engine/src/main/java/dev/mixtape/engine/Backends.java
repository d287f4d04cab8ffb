package dev.mixtape.engine;

import dev.mixtape.engine.vector.VectorBackend;

import java.util.Locale;

/**
 * Chooses a backend. The one documented switch is the system property {@code mixtape.backend}
 * (or, when unset, the environment variable {@code MIXTAPE_BACKEND}): {@code vector} (default) or
 * {@code nd4j}. The Vector backend's thread count comes from {@code mixtape.threads}
 * ({@code MIXTAPE_THREADS}), default: the number of cores.
 */
public final class Backends {
    private Backends() {
    }

    private static final class Default {
        static final Backend INSTANCE = create(setting("mixtape.backend", "MIXTAPE_BACKEND", "vector"));
    }

    /** The process-wide default backend, created on first use from the switch above. */
    public static Backend defaultBackend() {
        return Default.INSTANCE;
    }

    /** A new backend by name: {@code vector} or {@code nd4j}. */
    public static Backend create(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "vector" -> new VectorBackend(Integer.parseInt(
                    setting("mixtape.threads", "MIXTAPE_THREADS", Integer.toString(Runtime.getRuntime().availableProcessors()))));
            case "nd4j" -> createNd4j();
            default -> throw new IllegalArgumentException("unknown backend '" + name + "': use vector or nd4j");
        };
    }

    private static Backend createNd4j() {
        try {
            Class<?> type = Class.forName("dev.mixtape.engine.nd4j.Nd4jBackend");
            return (Backend) type.getConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("the nd4j backend needs ND4J on the classpath (org.nd4j:nd4j-native "
                    + "for CPU or nd4j-cuda-11.6 for NVIDIA GPUs; see README): " + e, e);
        }
    }

    private static String setting(String property, String env, String fallback) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            value = System.getenv(env);
        }
        return value == null || value.isBlank() ? fallback : value.trim();
    }
}
