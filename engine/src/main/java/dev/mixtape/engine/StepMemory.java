package dev.mixtape.engine;

import java.util.List;

/**
 * Memory a training loop hands from one step to the next, in the spirit of ND4J's workspaces. A
 * training step allocates the same tensors every time (activations, gradients, temporaries: about
 * 1 GB for a stories15M-shape LoRA step of 8×256 tokens) and drops them all at its end. Left to the
 * JVM, each one is zeroed by the thread that allocates it while the other threads wait, and the
 * garbage collector copies the ones still alive (the activations) from region to region. Inside a
 * step opened here, the backend gives new tensors the arrays of the previous step's tensors of the
 * same size instead, zeroed by all its threads, and at the step's end it takes back every array the
 * step used.
 *
 * <pre>{@code
 * StepMemory memory = backend.stepMemory();
 * for (...) {
 *     try (StepMemory.Step step = memory.open()) {
 *         Tensor loss = model.loss(...);
 *         double value = loss.item();
 *         loss.backward();
 *         optimizer.step();
 *         optimizer.zeroGrad();
 *     }
 * }
 * }</pre>
 *
 * <p>Everything allocated on the calling thread while a step is open belongs to that step: once it
 * is closed, reading such a tensor throws (the array may already hold another step's values). What
 * must outlive the step is copied out as plain values ({@link Tensor#item()}, {@link Tensor#toFloatArray()})
 * or made through {@link Backend#outsideStep} (an optimizer's moments, created lazily in its first step).
 * A step covers one thread: other threads allocate as usual. Memory stays bounded: the arrays kept
 * between steps never exceed a share of the heap; beyond it, allocations fall back to the JVM's.
 * A backend that does not recycle memory returns {@link #NONE}, whose steps change nothing.
 */
public interface StepMemory {

    /** Steps that change nothing: allocations inside them are the backend's ordinary ones. */
    StepMemory NONE = () -> () -> {
    };

    /**
     * Opens a step on the calling thread, until the returned step is closed. At most one step of a
     * backend is open on a thread at a time.
     */
    Step open();

    /** An open step; closing it releases every tensor allocated in it on its thread. */
    interface Step extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * A stretch of an open step whose arrays go back to the step before it closes, for the step's
     * later allocations ({@link Backend#stepScope}): what a checkpointed block ({@link F#checkpoint})
     * allocates while it runs and then drops, so that the step holds one block's activations at a
     * time rather than every block's.
     */
    interface Scope {
        /** A scope that hands nothing back: outside a step, or on a backend that recycles nothing. */
        Scope NONE = keep -> {
        };

        /**
         * Hands back the array of every tensor allocated on this thread since the scope was opened,
         * except those viewed by {@code keep}: reading any other tensor allocated in the scope throws
         * afterwards, as after the step closes.
         */
        void closeKeeping(List<Tensor> keep);
    }
}
