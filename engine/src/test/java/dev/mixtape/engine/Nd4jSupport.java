package dev.mixtape.engine;

import java.util.Optional;

/** The ND4J backend for tests, when ND4J and its natives are on the test classpath. */
public final class Nd4jSupport {
    private static final Optional<Backend> BACKEND = load();

    private Nd4jSupport() {
    }

    /** The shared ND4J backend, or empty when it cannot be created here. */
    public static Optional<Backend> backend() {
        return BACKEND;
    }

    private static Optional<Backend> load() {
        try {
            Class.forName("dev.mixtape.engine.nd4j.Nd4jBackend");
        } catch (ClassNotFoundException e) {
            return Optional.empty();
        }
        return Optional.of(Backends.create("nd4j"));
    }
}
