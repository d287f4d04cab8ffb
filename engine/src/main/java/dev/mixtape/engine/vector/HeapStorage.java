package dev.mixtape.engine.vector;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Storage;

/** The Vector backend's storage: an f32 array on the Java heap. */
record HeapStorage(VectorBackend owner, float[] data) implements Storage {

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
        return data.length;
    }
}
