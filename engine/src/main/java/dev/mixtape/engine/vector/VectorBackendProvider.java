package dev.mixtape.engine.vector;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.BackendProvider;
import dev.mixtape.engine.Backends;

/** Makes the {@code vector} backend, with {@code mixtape.threads} ({@code MIXTAPE_THREADS}) threads, default: the number of cores. */
public final class VectorBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "vector";
    }

    @Override
    public Backend create() {
        return new VectorBackend(Integer.parseInt(Backends.setting("mixtape.threads", "MIXTAPE_THREADS",
                Integer.toString(Runtime.getRuntime().availableProcessors()))));
    }
}
