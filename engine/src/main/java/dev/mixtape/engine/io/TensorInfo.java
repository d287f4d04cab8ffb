package dev.mixtape.engine.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor as a safetensors header describes it: its name, element type, shape and the byte range
 * {@code [begin, end)} of its data, counted from the start of the data section (just after the
 * header), exactly as the header's {@code data_offsets} give it.
 */
public record TensorInfo(String name, SafetensorsDtype dtype, int[] shape, long begin, long end) {

    /** Keeps a copy of {@code shape}. */
    public TensorInfo {
        shape = shape.clone();
    }

    /** The dimensions (a copy). */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    /**
     * Number of elements: the product of the dimensions (1 for a scalar of shape {@code []}); throws
     * {@link ArithmeticException} if it overflows a long.
     */
    public long numel() {
        long n = 1;
        for (int dim : shape) {
            n = Math.multiplyExact(n, dim);
        }
        return n;
    }

    /** Size of the data in bytes, {@code end - begin}. */
    public long byteSize() {
        return end - begin;
    }

    /** Equal when every component is, shapes compared element by element. */
    @Override
    public boolean equals(Object other) {
        return other instanceof TensorInfo that && name.equals(that.name) && dtype == that.dtype
                && Arrays.equals(shape, that.shape) && begin == that.begin && end == that.end;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape) + " bytes [" + begin + ", " + end + ")";
    }
}
