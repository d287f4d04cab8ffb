package dev.mixtape.engine;

/**
 * Makes one kind of {@link Backend} by name, for {@link Backends#create}. Each backend package has
 * one, listed in {@code META-INF/services/dev.mixtape.engine.BackendProvider}; Java's
 * {@link java.util.ServiceLoader} finds them, so the root package names no backend and a backend in
 * another jar (a GPU one, say) plugs in by being on the classpath.
 */
public interface BackendProvider {
    /** The name {@code mixtape.backend} and {@link Backends#create} know this backend by. */
    String name();

    /** A new backend. Throws {@link IllegalStateException}, with what is missing, when it cannot run here. */
    Backend create();
}
