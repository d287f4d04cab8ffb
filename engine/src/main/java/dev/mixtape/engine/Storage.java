package dev.mixtape.engine;

/**
 * The memory behind one or more tensors, owned by a {@link Backend}: a float array for the Vector
 * backend, an {@code INDArray} buffer for ND4J. Tensors are views (shape, strides, offset) over it.
 */
public interface Storage {
    /** The backend that allocated this storage and the only one that may read it. */
    Backend backend();

    /** Element type of the storage. */
    DType dtype();

    /** Number of elements. */
    int size();
}
