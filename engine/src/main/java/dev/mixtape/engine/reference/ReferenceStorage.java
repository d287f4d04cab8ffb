package dev.mixtape.engine.reference;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Storage;

/**
 * The reference backend's storage: one double per element, whatever the dtype. An F32 storage rounds
 * every value it is given to the nearest float, so it holds exactly what an array of floats would.
 */
final class ReferenceStorage implements Storage {
    private final ReferenceBackend owner;
    private final DType dtype;
    private final double[] values;

    ReferenceStorage(ReferenceBackend owner, DType dtype, int size) {
        this.owner = owner;
        this.dtype = dtype;
        this.values = new double[size];
    }

    /** Element {@code i} of the storage. */
    double get(int i) {
        return values[i];
    }

    /** Sets element {@code i}, rounded to a float for an F32 storage. */
    void set(int i, double value) {
        values[i] = dtype == DType.F32 ? (float) value : value;
    }

    @Override
    public Backend backend() {
        return owner;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public int size() {
        return values.length;
    }
}
