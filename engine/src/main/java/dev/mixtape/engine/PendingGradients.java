package dev.mixtape.engine;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gradients a back-propagation ({@link Tape#backwardWithin}) holds for the nodes it has not run
 * yet, with how many of them view each storage, so that a gradient it has passed on can go back to
 * the open {@link StepMemory} step at once ({@link Backend#recycle}) rather than when the step or its
 * scope closes. A node's incoming gradient is read by its backward function and then by nothing, unless
 * that function handed it (or a view of it) on to an input, or it is the seed, which belongs to the
 * caller. Within a checkpointed layer's backward pass this is most of what the pass allocates: at
 * SmolLM2-135M's shape, ~40 arrays of [tokens, dim] a layer that were all held until the layer was done.
 */
final class PendingGradients {
    private final Map<Tape.Node, Tensor> byNode = new IdentityHashMap<>();
    private final Map<Storage, Integer> views = new IdentityHashMap<>();
    private final Storage seed;

    /** Pending gradients of a back-propagation from {@code seed}, which is never recycled. */
    PendingGradients(Tensor seed) {
        this.seed = seed.storage();
    }

    /** The gradient pending for {@code node}, or null. */
    Tensor get(Tape.Node node) {
        return byNode.get(node);
    }

    /** Sets the gradient pending for {@code node}, replacing any (whose storage then has one view fewer). */
    void put(Tape.Node node, Tensor gradient) {
        unview(byNode.put(node, gradient));
        views.merge(gradient.storage(), 1, Integer::sum);
    }

    /** Takes the gradient pending for {@code node} out, or null. */
    Tensor remove(Tape.Node node) {
        Tensor gradient = byNode.remove(node);
        unview(gradient);
        return gradient;
    }

    /**
     * Hands back to the open step each of {@code passedOn} (gradients read and passed on) that no
     * pending gradient views and that is not the seed.
     */
    void recycleUnread(List<Tensor> passedOn) {
        for (Tensor gradient : passedOn) {
            Storage storage = gradient.storage();
            if (storage != seed && !views.containsKey(storage)) {
                gradient.backend().recycle(gradient);
            }
        }
    }

    private void unview(Tensor gradient) {
        if (gradient != null) {
            views.computeIfPresent(gradient.storage(), (storage, count) -> count == 1 ? null : count - 1);
        }
    }
}
