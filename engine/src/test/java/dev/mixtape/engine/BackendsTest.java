package dev.mixtape.engine;

import dev.mixtape.engine.vector.VectorBackend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link Backends} finds the backends through their {@link BackendProvider}s: a provider missing from
 * {@code META-INF/services} makes its name unknown here, and a wrong name in the error fails the last test.
 */
class BackendsTest {

    @Test
    void createsTheVectorBackendByNameInAnyCase() {
        Backend backend = Backends.create("Vector");

        assertInstanceOf(VectorBackend.class, backend);
        assertEquals("vector", backend.name());
    }

    @Test
    void anUnknownNameListsEveryProvidedBackend() {
        var e = assertThrows(IllegalArgumentException.class, () -> Backends.create("cuda"));

        assertEquals("unknown backend 'cuda': use vector or nd4j or reference", e.getMessage());
    }
}
