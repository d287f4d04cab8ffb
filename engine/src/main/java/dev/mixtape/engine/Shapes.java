package dev.mixtape.engine;

import java.util.Arrays;

/** Small helpers for shapes and row-major strides. */
public final class Shapes {
    private Shapes() {
    }

    /** Number of elements of a shape; throws on negative dimensions or overflow past int. */
    public static int numel(int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= d;
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than 2^31-1 elements");
            }
        }
        return (int) n;
    }

    /** Row-major (C order) strides of a shape. */
    public static int[] contiguousStrides(int... shape) {
        int[] strides = new int[shape.length];
        int s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = s;
            s *= shape[i];
        }
        return strides;
    }

    /** The shape two shapes broadcast to, NumPy rules (align right, 1 stretches). */
    public static int[] broadcast(int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("shapes " + str(a) + " and " + str(b) + " do not broadcast");
            }
            out[i] = Math.max(da, db);
        }
        return out;
    }

    /** Normalises a possibly negative axis against a rank. */
    public static int axis(int axis, int rank) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException("axis " + axis + " out of range for rank " + rank);
        }
        return a;
    }

    /**
     * For a view of a stack of matrices (the last two dimensions): the element distance between one
     * matrix and the next when every matrix is row-major ({@link #matrixRowStride}) and the batch
     * dimensions step uniformly, as in a slice of a larger stack; -1 otherwise. A single matrix
     * gives rows × cols.
     */
    public static int matrixBatchStride(int[] shape, int[] strides) {
        if (matrixRowStride(shape, strides) < 0) {
            return -1;
        }
        int rank = shape.length;
        int stride = shape[rank - 2] * shape[rank - 1];
        int expectedNext = -1;
        for (int i = rank - 3; i >= 0; i--) {
            if (shape[i] == 1) {
                continue;
            }
            if (expectedNext == -1) {
                stride = strides[i];
            } else if (strides[i] != expectedNext) {
                return -1;
            }
            expectedNext = strides[i] * shape[i];
        }
        return stride;
    }

    /**
     * For a view of a stack of matrices: the element distance between one row of a matrix and the
     * next (BLAS's leading dimension) when each row is contiguous and rows do not overlap, as in a
     * dense matrix (the row length) or a range of its columns (the full row length); -1 otherwise.
     */
    public static int matrixRowStride(int[] shape, int[] strides) {
        int rank = shape.length;
        int rows = shape[rank - 2];
        int cols = shape[rank - 1];
        if (cols > 1 && strides[rank - 1] != 1) {
            return -1;
        }
        if (rows == 1) {
            return cols;
        }
        return strides[rank - 2] >= cols ? strides[rank - 2] : -1;
    }

    /** The shape as text, e.g. {@code [2, 3]}. */
    public static String str(int... shape) {
        return Arrays.toString(shape);
    }
}
