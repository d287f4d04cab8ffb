package dev.mixtape.engine;

/**
 * Switches gradient recording off for the current thread within a scope, like PyTorch's
 * {@code torch.no_grad()}:
 * <pre>{@code
 * try (var scope = Grad.off()) {
 *     logits = model.forward(ids);   // nothing is recorded on the tape
 * }
 * }</pre>
 * Scopes nest; closing one restores the state that was in force when it opened. The state is per
 * thread, so concurrent inference and training in one JVM do not interfere.
 */
public final class Grad implements AutoCloseable {
    private static final ThreadLocal<Boolean> ENABLED = ThreadLocal.withInitial(() -> Boolean.TRUE);

    private final boolean previous;

    private Grad(boolean enabled) {
        previous = ENABLED.get();
        ENABLED.set(enabled);
    }

    /** Opens a scope in which ops record nothing. */
    public static Grad off() {
        return new Grad(false);
    }

    /** Opens a scope in which ops record again (inside an {@link #off()} scope). */
    public static Grad on() {
        return new Grad(true);
    }

    /** Whether ops on this thread record their backward now. */
    public static boolean isEnabled() {
        return ENABLED.get();
    }

    @Override
    public void close() {
        ENABLED.set(previous);
    }
}
