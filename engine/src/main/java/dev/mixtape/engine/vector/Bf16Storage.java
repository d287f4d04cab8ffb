package dev.mixtape.engine.vector;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Storage;

/**
 * The Vector backend's storage for frozen weights kept in bfloat16: the top 16 bits of each f32
 * value, in a heap array. Only the ops that read weights accept it (see {@link DType#BF16}).
 */
record Bf16Storage(VectorBackend owner, short[] data) implements Storage {

    @Override
    public Backend backend() {
        return owner;
    }

    @Override
    public DType dtype() {
        return DType.BF16;
    }

    @Override
    public int size() {
        return data.length;
    }
}
