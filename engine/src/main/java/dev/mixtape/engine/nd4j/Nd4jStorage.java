package dev.mixtape.engine.nd4j;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Storage;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The ND4J backend's storage: one flat 1-D {@code INDArray} (host memory with nd4j-native, device
 * memory with nd4j-cuda). Tensors are views over it that {@link Nd4jViews} turns into INDArray views.
 */
record Nd4jStorage(Nd4jBackend owner, DType dtype, INDArray flat) implements Storage {

    @Override
    public Backend backend() {
        return owner;
    }

    @Override
    public int size() {
        return (int) flat.length();
    }
}
