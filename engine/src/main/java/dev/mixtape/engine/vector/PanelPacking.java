package dev.mixtape.engine.vector;

/**
 * Copies a block of an operand into the order the {@link MicroKernel} reads it: slivers of
 * {@code width} rows, each sliver {@code depth} steps of {@code width} consecutive values
 * ({@code dst[dstOff + s·depth·width + p·width + r] = M(row0 + s·width + r, col0 + p)}), zero-padded
 * past the last row. A is packed as the m×k matrix it is, B as the n×k matrix {@code Bᵀ}; with the strides of
 * {@link StridedMatrix} a stored transpose costs nothing extra, so all four transpose combinations
 * end up with identical packed panels.
 */
final class PanelPacking {
    private PanelPacking() {
    }

    /**
     * Packs rows {@code [row0, row0 + rows)} and columns {@code [col0, col0 + depth)} of matrix
     * {@code t} of {@code src} into {@code dst} from index {@code dstOff}.
     */
    static void pack(StridedMatrix src, int t, int row0, int rows, int col0, int depth, int width,
                     float[] dst, int dstOff) {
        int sliverSize = depth * width;
        for (int s = 0; s * width < rows; s++) {
            int sliverRows = Math.min(width, rows - s * width);
            int from = src.index(t, row0 + s * width, col0);
            packSliver(src, from, sliverRows, depth, width, dst, dstOff + s * sliverSize);
        }
    }

    /**
     * One sliver. The loop order follows whichever stride is 1, so the source is always read in
     * storage order: along a row of a row-major matrix, or down the rows of a transposed one.
     */
    private static void packSliver(StridedMatrix src, int from, int sliverRows, int depth, int width,
                                   float[] dst, int dstOff) {
        float[] data = src.data();
        int rowStride = src.rowStride();
        int colStride = src.colStride();
        if (rowStride == 1) {
            for (int p = 0; p < depth; p++) {
                int in = from + p * colStride;
                int out = dstOff + p * width;
                for (int r = 0; r < sliverRows; r++) {
                    dst[out + r] = data[in + r];
                }
                for (int r = sliverRows; r < width; r++) {
                    dst[out + r] = 0f;
                }
            }
        } else {
            for (int r = 0; r < sliverRows; r++) {
                int in = from + r * rowStride;
                for (int p = 0; p < depth; p++) {
                    dst[dstOff + p * width + r] = data[in + p * colStride];
                }
            }
            for (int r = sliverRows; r < width; r++) {
                for (int p = 0; p < depth; p++) {
                    dst[dstOff + p * width + r] = 0f;
                }
            }
        }
    }
}
