package dev.mixtape.engine.vector;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Storage;
import dev.mixtape.engine.quant.QuantizedMatrix;

/**
 * The Vector backend's storage for a frozen weight matrix kept in a block format: the
 * {@link QuantizedMatrix} whose blocks it reads. Only the ops that read weights accept it (see
 * {@link dev.mixtape.engine.BlockWeights}).
 */
record QuantizedStorage(VectorBackend owner, DType dtype, QuantizedMatrix matrix) implements Storage {

    @Override
    public Backend backend() {
        return owner;
    }

    @Override
    public int size() {
        return matrix.rows() * matrix.cols();
    }
}
