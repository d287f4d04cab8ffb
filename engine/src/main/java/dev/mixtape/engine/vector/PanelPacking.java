package dev.mixtape.engine.vector;

import java.util.Arrays;

/**
 * Copies blocks of the operands into the layouts the {@link MicroKernel} reads, zero-padded to whole
 * tiles. A is read through {@link StridedMatrix} as the m×k matrix it is, B as the n×k matrix Bᵀ, so
 * a stored transpose costs nothing extra and all four transpose combinations end up with identical
 * packed panels.
 *
 * <ul>
 *   <li>A block: its rows one after another, {@code dst[i·depth + p] = A(row0 + i, col0 + p)}. From a
 *       row-major A (the usual {@code x} or {@code dY}) that is a plain copy of row segments.</li>
 *   <li>B slivers: for each group of {@code width} columns of C, {@code depth} steps of {@code width}
 *       consecutive values, {@code dst[s·depth·width + p·width + r] = Bᵀ(row0 + s·width + r, col0 + p)},
 *       so that one step of the micro-kernel is one contiguous load.</li>
 * </ul>
 * Each method follows the source's storage order (the loop over the stride-1 dimension innermost),
 * so packing reads memory sequentially whichever way the operand is stored.
 */
final class PanelPacking {
    /**
     * Steps copied per destination row at a time when A is stored transposed: 16 floats fill one
     * 64-byte cache line, which is then complete before the next row's line is touched. (Row by row
     * over the whole depth, rows 1 KiB apart compete for the same few L1 sets and evict each other.)
     */
    private static final int STRIP = 16;

    private PanelPacking() {
    }

    /**
     * Packs rows {@code [row0, row0 + rows)} and columns {@code [col0, col0 + depth)} of matrix
     * {@code t} of {@code a} row after row into {@code dst} from index {@code dstOff}, then zero rows
     * up to a multiple of {@code tileRows}.
     */
    static void packRows(StridedMatrix a, int t, int row0, int rows, int col0, int depth, int tileRows, float[] dst, int dstOff) {
        float[] data = a.data();
        int from = a.index(t, row0, col0);
        if (a.colStride() == 1) {
            for (int i = 0; i < rows; i++) {
                System.arraycopy(data, from + i * a.rowStride(), dst, dstOff + i * depth, depth);
            }
        } else {
            gatherRows(data, from, a.rowStride(), a.colStride(), 0, rows, depth, depth, dst, dstOff);
        }
        padRows(rows, depth, tileRows, dst, dstOff);
    }

    /**
     * {@link #packRows(StridedMatrix, int, int, int, int, int, int, float[], int)} for {@code kernel}'s
     * tiles; an A stored transposed (a weight gradient's {@code dYᵀ}) is transposed by the kernel
     * ({@link MicroKernel#packTransposedRows}).
     */
    static void packRows(StridedMatrix a, int t, int row0, int rows, int col0, int depth, MicroKernel kernel, float[] dst,
                         int dstOff) {
        if (a.rowStride() == 1 && a.colStride() != 1) {
            kernel.packTransposedRows(a.data(), a.index(t, row0, col0), a.colStride(), rows, depth, dst, dstOff);
            padRows(rows, depth, kernel.rows(), dst, dstOff);
        } else {
            packRows(a, t, row0, rows, col0, depth, kernel.rows(), dst, dstOff);
        }
    }

    /**
     * Packs rows {@code [row0, row0 + rows)} and columns {@code [col0, col0 + depth)} of matrix
     * {@code t} of {@code a} in k-major slivers of {@code tileRows} rows, as an
     * {@link InterleavedAKernel} reads them: {@code dst[dstOff + s·depth + p·tileRows + i] =
     * A(row0 + s + i, col0 + p)} for each sliver starting at row {@code s}, a last sliver's missing
     * rows zero. Walks the source along whichever of its strides is 1.
     */
    static void packInterleavedRows(StridedMatrix a, int t, int row0, int rows, int col0, int depth, int tileRows, float[] dst,
                                    int dstOff) {
        float[] data = a.data();
        int rowStride = a.rowStride();
        int colStride = a.colStride();
        int from = a.index(t, row0, col0);
        for (int s = 0; s < rows; s += tileRows) {
            int height = Math.min(tileRows, rows - s);
            int sliver = dstOff + s * depth;
            int first = from + s * rowStride;
            if (rowStride == 1) {
                for (int p = 0; p < depth; p++) {
                    for (int i = 0; i < height; i++) {
                        dst[sliver + p * tileRows + i] = data[first + i + p * colStride];
                    }
                }
            } else {
                for (int i = 0; i < height; i++) {
                    int row = first + i * rowStride;
                    for (int p = 0; p < depth; p++) {
                        dst[sliver + p * tileRows + i] = data[row + p * colStride];
                    }
                }
            }
            if (height < tileRows) {
                for (int p = 0; p < depth; p++) {
                    Arrays.fill(dst, sliver + p * tileRows + height, sliver + (p + 1) * tileRows, 0f);
                }
            }
        }
    }

    /** Zeroes the packed rows after {@code rows} up to a multiple of {@code tileRows}. */
    private static void padRows(int rows, int depth, int tileRows, float[] dst, int dstOff) {
        int paddedRows = (rows + tileRows - 1) / tileRows * tileRows;
        Arrays.fill(dst, dstOff + rows * depth, dstOff + paddedRows * depth, 0f);
    }

    /**
     * The plain loop that packs rows of a strided source: {@code dst[dstOff + i·dstRowLength + p] =
     * src[from + i·rowStride + p·colStride]} for rows {@code [i0, i1)} and {@code p < depth}, in
     * strips of {@link #STRIP} steps.
     */
    static void gatherRows(float[] src, int from, int rowStride, int colStride, int i0, int i1, int depth, int dstRowLength,
                           float[] dst, int dstOff) {
        for (int p0 = 0; p0 < depth; p0 += STRIP) {
            int p1 = Math.min(depth, p0 + STRIP);
            for (int i = i0; i < i1; i++) {
                int in = from + i * rowStride;
                int out = dstOff + i * dstRowLength;
                for (int p = p0; p < p1; p++) {
                    dst[out + p] = src[in + p * colStride];
                }
            }
        }
    }

    /**
     * Packs rows {@code [row0, row0 + rows)} and columns {@code [col0, col0 + depth)} of matrix
     * {@code t} of {@code bT} into slivers of {@code kernel.cols()} rows at {@code dst[dstOff…]}, the
     * last sliver zero-padded. One of bT's strides is 1, as {@link Sgemm} builds its operands: a
     * row-major B (rows of bT one apart) is copied step by step; a B stored transposed (each row of
     * bT contiguous) is transposed by the kernel, whose width it is.
     */
    static void packSlivers(StridedMatrix bT, int t, int row0, int rows, int col0, int depth, MicroKernel kernel,
                            float[] dst, int dstOff) {
        float[] data = bT.data();
        int from = bT.index(t, row0, col0);
        int rowStride = bT.rowStride();
        int colStride = bT.colStride();
        int width = kernel.cols();
        int sliverSize = depth * width;
        int fullSlivers = rows / width;
        int tail = rows - fullSlivers * width;
        if (rowStride == 1) {
            for (int p = 0; p < depth; p++) {
                int in = from + p * colStride;
                int out = dstOff + p * width;
                for (int s = 0; s < fullSlivers; s++) {
                    System.arraycopy(data, in + s * width, dst, out + s * sliverSize, width);
                }
                if (tail > 0) {
                    int tailOut = out + fullSlivers * sliverSize;
                    System.arraycopy(data, in + fullSlivers * width, dst, tailOut, tail);
                    Arrays.fill(dst, tailOut + tail, tailOut + width, 0f);
                }
            }
        } else {
            if (colStride != 1) {
                throw new IllegalArgumentException("packing B: neither of its strides (" + rowStride + ", " + colStride + ") is 1");
            }
            kernel.packTransposed(data, from, rowStride, fullSlivers * width, depth, dst, dstOff);
            if (tail > 0) {
                int out = dstOff + fullSlivers * sliverSize;
                transposeRows(data, from + fullSlivers * width * rowStride, rowStride, 0, tail, depth, width, dst, out);
                for (int p = 0; p < depth; p++) {
                    Arrays.fill(dst, out + p * width + tail, out + (p + 1) * width, 0f);
                }
            }
        }
    }

    /**
     * The plain loop of {@link MicroKernel#packTransposed} for rows {@code [r0, r1)}: row r of the
     * source ({@code src[srcOff + r·ld + p]}, p < depth) becomes lane {@code r % width} of the steps
     * of sliver {@code r / width}.
     */
    static void transposeRows(float[] src, int srcOff, int ld, int r0, int r1, int depth, int width, float[] dst, int dstOff) {
        int sliverSize = depth * width;
        for (int r = r0; r < r1; r++) {
            int in = srcOff + r * ld;
            int out = dstOff + r / width * sliverSize + r % width;
            for (int p = 0; p < depth; p++) {
                dst[out + p * width] = src[in + p];
            }
        }
    }
}
