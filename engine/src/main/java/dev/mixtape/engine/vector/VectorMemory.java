package dev.mixtape.engine.vector;

import dev.mixtape.engine.DType;
import dev.mixtape.engine.StepMemory;
import dev.mixtape.engine.Storage;
import dev.mixtape.engine.Tensor;

import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Where the Vector backend's tensors live: f32 arrays on the heap ({@link HeapStorage}) and frozen
 * bf16 weights ({@link Bf16Storage}), allocated new or lent by the calling thread's open
 * {@link StepMemory} step ({@link RecycledSteps}), and the arrays behind a tensor for its kernels.
 */
final class VectorMemory {
    private final VectorBackend owner;
    private final Parallel parallel;
    /** Each thread's open {@link StepMemory} step, if any, whose memory its allocations use. */
    private final ThreadLocal<RecycledSteps> openStep = new ThreadLocal<>();

    VectorMemory(VectorBackend owner, Parallel parallel) {
        this.owner = owner;
        this.parallel = parallel;
    }

    /** The f32 array of a tensor of this backend; refuses bf16 tensors and other backends' tensors. */
    float[] data(Tensor t) {
        if (t.storage() instanceof HeapStorage heap && heap.owner() == owner) {
            return heap.data();
        }
        if (t.storage() instanceof QuantizedStorage && t.backend() == owner) {
            throw new IllegalArgumentException("a " + t.dtype() + " tensor " + Arrays.toString(t.shape()) + " reached an op that computes in F32: "
                    + t.dtype() + " tensors are frozen weights, read only by matmul, embedding lookup and the output head");
        }
        if (t.storage() instanceof Bf16Storage bf16 && bf16.owner() == owner) {
            throw new IllegalArgumentException("a BF16 tensor " + Arrays.toString(t.shape()) + " reached an op that computes in F32: "
                    + "BF16 tensors are frozen weights, read only by matmul, embedding lookup and the output head");
        }
        throw new IllegalArgumentException("tensor " + Arrays.toString(t.shape()) + " belongs to backend "
                + t.backend().name() + ", not to this vector backend");
    }

    /** The bits of a BF16 tensor of this backend. */
    short[] bf16(Tensor t) {
        if (t.storage() instanceof Bf16Storage bf16 && bf16.owner() == owner) {
            return bf16.data();
        }
        throw new IllegalArgumentException("tensor " + Arrays.toString(t.shape()) + " is not a BF16 tensor of this vector backend");
    }

    /**
     * A new storage: a previous step's array when the calling thread's open step has one of this
     * size (zeroed by the thread team only when {@code zeroed} is asked for), else a new array,
     * which the JVM zeroes and the open step, if any, lends within its budget.
     */
    Storage allocate(DType dtype, int size, boolean zeroed) {
        requireSupported(dtype);
        if (dtype == DType.BF16) {
            return new Bf16Storage(owner, new short[size]);
        }
        RecycledSteps step = openStep.get();
        float[] recycled = step == null ? null : step.take(size);
        if (recycled != null && zeroed) {
            parallel.forRange(size, VectorBackend.MIN_ELEMENTS_PER_TASK, (from, to) -> Arrays.fill(recycled, from, to, 0f));
        }
        HeapStorage storage = new HeapStorage(owner, recycled != null ? recycled : new float[size]);
        if (step != null) {
            step.lend(storage, recycled != null);
        }
        return storage;
    }

    /** A storage holding {@code data} as F32 or BF16. */
    Storage fromArray(DType dtype, double[] data) {
        requireSupported(dtype);
        if (dtype == DType.BF16) {
            short[] bits = new short[data.length];
            for (int i = 0; i < data.length; i++) {
                bits[i] = DType.floatToBf16((float) data[i]);
            }
            return new Bf16Storage(owner, bits);
        }
        float[] values = new float[data.length];
        for (int i = 0; i < data.length; i++) {
            values[i] = (float) data[i];
        }
        return new HeapStorage(owner, values);
    }

    /** A storage holding a copy of {@code data}. */
    Storage fromArray(float[] data) {
        return new HeapStorage(owner, data.clone());
    }

    /** A storage of {@code data} itself ({@link dev.mixtape.engine.Backend#adopt}). */
    Storage adopt(float[] data) {
        return new HeapStorage(owner, data);
    }

    /**
     * Memory recycled between training steps, lending at most half of the JVM's maximum heap per
     * step: beyond that, allocations are the JVM's as outside a step.
     */
    StepMemory stepMemory() {
        return new RecycledSteps(this, Runtime.getRuntime().maxMemory() / Float.BYTES / 2);
    }

    /** A scope of the calling thread's open step ({@link RecycledSteps#scope}), or none outside a step. */
    StepMemory.Scope stepScope() {
        RecycledSteps step = openStep.get();
        return step == null ? StepMemory.Scope.NONE : step.scope();
    }

    /** Hands {@code dead}'s array back to the calling thread's open step, if that step lent it ({@link RecycledSteps#recycle}). */
    void recycle(Tensor dead) {
        RecycledSteps step = openStep.get();
        if (step != null && dead.storage() instanceof HeapStorage heap && heap.owner() == owner) {
            step.recycle(heap);
        }
    }

    /** Runs {@code make} with the calling thread's open step set aside. */
    <T> T outsideStep(Supplier<T> make) {
        RecycledSteps step = openStep.get();
        openStep.remove();
        try {
            return make.get();
        } finally {
            if (step != null) {
                openStep.set(step);
            }
        }
    }

    /** Makes {@code step} the calling thread's open step; called by {@link RecycledSteps#open}. */
    void enterStep(RecycledSteps step) {
        if (openStep.get() != null) {
            throw new IllegalStateException("a step of this backend's memory is already open on this thread");
        }
        openStep.set(step);
    }

    /** Ends the calling thread's open step; called when {@code step} closes. */
    void leaveStep(RecycledSteps step) {
        if (openStep.get() != step) {
            throw new IllegalStateException("a step memory's step must be closed on the thread that opened it");
        }
        openStep.remove();
    }

    private static void requireSupported(DType dtype) {
        if (dtype.isBlockFormat()) {
            throw new UnsupportedOperationException(dtype + " weights are made from their blocks (Tensor.ofBlocks), not allocated");
        }
        if (dtype != DType.F32 && dtype != DType.BF16) {
            throw new UnsupportedOperationException("the vector backend computes in F32 (and keeps frozen weights in BF16), not in "
                    + dtype + " (F64 is available on the nd4j backend)");
        }
    }
}
