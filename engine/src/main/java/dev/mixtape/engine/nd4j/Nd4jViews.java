package dev.mixtape.engine.nd4j;

import dev.mixtape.engine.DType;
import dev.mixtape.engine.Shapes;
import dev.mixtape.engine.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/**
 * Turns a tensor's geometry (shape, strides, offset over a flat storage) into an ND4J view of the
 * same memory, so ND4J ops read and write the tensor in place. Strides of 0 (broadcast views) carry
 * over unchanged: ND4J's loops follow strides, so such a view reads one element many times.
 *
 * <p>Views are always built on the flat storage's buffer with the tensor's absolute offset. ND4J's
 * {@code data()} of a view is the whole underlying buffer, so a view built on a view's buffer would
 * silently lose the first view's offset; and {@code INDArray.reshape} may copy, which would lose
 * writes. Kernels that need a tensor in another shape ask for it here ({@link #contiguous}).
 */
final class Nd4jViews {
    private final Nd4jBackend owner;

    /** Views for tensors of {@code owner}; tensors of any other backend are refused. */
    Nd4jViews(Nd4jBackend owner) {
        this.owner = owner;
    }

    /** The ND4J element type of a Mixtape dtype the backend computes in. */
    static DataType dataType(DType dtype) {
        return switch (dtype) {
            case F32 -> DataType.FLOAT;
            case F64 -> DataType.DOUBLE;
            default -> throw new UnsupportedOperationException(
                    "the nd4j backend computes in F32 and F64, not " + dtype);
        };
    }

    /** The tensor as an ND4J view of its own shape, strides and offset. */
    INDArray of(Tensor t) {
        return view(storage(t).flat(), t.offset(), t.shape(), t.strides());
    }

    /** A contiguous tensor viewed in {@code shape} (same number of elements, row-major order). */
    INDArray contiguous(Tensor t, int... shape) {
        if (Shapes.numel(shape) != t.numel()) {
            throw new IllegalArgumentException("cannot view tensor " + Shapes.str(t.shape()) + " as " + Shapes.str(shape));
        }
        return part(t, 0, shape);
    }

    /** Elements {@code start…} of a contiguous tensor (row-major order), viewed in {@code shape}. */
    INDArray part(Tensor t, int start, int... shape) {
        if (!t.isContiguous()) {
            throw new IllegalArgumentException("the nd4j backend needs a contiguous tensor here, got shape "
                    + Shapes.str(t.shape()) + " with strides " + Arrays.toString(t.strides()));
        }
        if (start < 0 || start + Shapes.numel(shape) > t.numel()) {
            throw new IllegalArgumentException("elements " + start + "… of tensor " + Shapes.str(t.shape())
                    + " do not hold shape " + Shapes.str(shape));
        }
        return view(storage(t).flat(), t.offset() + start, shape, Shapes.contiguousStrides(shape));
    }

    /**
     * The tensor broadcast to {@code shape} by NumPy rules (aligned right; size-1 and missing leading
     * dimensions stretch), as a view with stride 0 on the stretched dimensions.
     */
    INDArray broadcast(Tensor t, int... shape) {
        int[] from = t.shape();
        int[] fromStrides = t.strides();
        int lead = shape.length - from.length;
        int[] strides = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            int j = i - lead;
            if (j >= 0 && from[j] == shape[i]) {
                strides[i] = fromStrides[j];
            } else if (j >= 0 && from[j] != 1) {
                throw new IllegalArgumentException("cannot broadcast tensor " + Shapes.str(from) + " to " + Shapes.str(shape));
            }
        }
        return view(storage(t).flat(), t.offset(), shape, strides);
    }

    /** A contiguous tensor viewed as a matrix {@code [numel / lastDim, lastDim]} ("rows"). */
    INDArray rows(Tensor t) {
        int cols = t.rank() == 0 ? 1 : t.dim(-1);
        return contiguous(t, cols == 0 ? 0 : t.numel() / cols, cols);
    }

    private Nd4jStorage storage(Tensor t) {
        if (!(t.storage() instanceof Nd4jStorage storage) || storage.owner() != owner) {
            throw new IllegalArgumentException("tensor " + Shapes.str(t.shape()) + " belongs to backend "
                    + t.backend().name() + ", not to this nd4j backend");
        }
        return storage;
    }

    private static INDArray view(INDArray flat, int offset, int[] shape, int[] strides) {
        long[] longShape = Arrays.stream(shape).asLongStream().toArray();
        if (Shapes.numel(shape) == 0) {
            return Nd4j.create(flat.dataType(), longShape);
        }
        return Nd4j.create(flat.data(), longShape, Arrays.stream(strides).asLongStream().toArray(), offset, 'c');
    }
}
