package dev.mixtape.engine.vector;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Storage;

/**
 * The Vector backend's storage: an f32 array on the Java heap. A storage made inside a
 * {@link dev.mixtape.engine.StepMemory} step is {@linkplain #release released} when the step closes,
 * and its array goes to the next step; reading it afterwards throws instead of returning another
 * step's values.
 */
final class HeapStorage implements Storage {
    private final VectorBackend owner;
    private final int size;
    private float[] data;

    HeapStorage(VectorBackend owner, float[] data) {
        this.owner = owner;
        this.size = data.length;
        this.data = data;
    }

    VectorBackend owner() {
        return owner;
    }

    /** The array; throws once the storage was released. */
    float[] data() {
        float[] array = data;
        if (array == null) {
            throw new IllegalStateException("a tensor of " + size + " elements was read after the training step it was made in "
                    + "had closed (StepMemory): its memory now belongs to another step. Copy out what must outlive a step, "
                    + "or make it through Backend.outsideStep");
        }
        return array;
    }

    /** Gives up the array (for the step memory to reuse) and returns it. */
    float[] release() {
        float[] array = data();
        data = null;
        return array;
    }

    @Override
    public Backend backend() {
        return owner;
    }

    @Override
    public DType dtype() {
        return DType.F32;
    }

    @Override
    public int size() {
        return size;
    }
}
