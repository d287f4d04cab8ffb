package dev.mixtape.engine.nd4j;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.BackendProvider;

/**
 * Makes the {@code nd4j} backend. ND4J is an optional dependency: this class links to it only when
 * {@link #create} runs, so listing it costs nothing where ND4J is absent, and choosing it there says
 * what to add.
 */
public final class Nd4jBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "nd4j";
    }

    @Override
    public Backend create() {
        try {
            return new Nd4jBackend();
        } catch (LinkageError | RuntimeException e) {
            throw new IllegalStateException("the nd4j backend needs ND4J on the classpath (org.nd4j:nd4j-native "
                    + "for CPU or nd4j-cuda-11.6 for NVIDIA GPUs; see README): " + e, e);
        }
    }
}
