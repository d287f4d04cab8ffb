package dev.mixtape.engine.reference;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.BackendProvider;

/** Makes the {@code reference} backend: slow, single-threaded, written to be read. */
public final class ReferenceBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "reference";
    }

    @Override
    public Backend create() {
        return new ReferenceBackend();
    }
}
