package dev.mixtape.engine.vector;

import dev.mixtape.engine.quant.BlockFormat;
import dev.mixtape.engine.quant.BlockFormats;
import dev.mixtape.engine.quant.InterleavedQ4_0Format;
import dev.mixtape.engine.quant.InterleavedQ8_0Format;
import dev.mixtape.engine.quant.QuantizedMatrix;

/**
 * The products of a few activation rows with a {@link QuantizedMatrix}, each block decoded once in
 * registers where the format has a SIMD kernel (Q8_0 and Q4_0, interleaved or not, Q4_K, Q5_K, Q6_K with the Vector API) and by its
 * {@link BlockFormat} in plain loops otherwise. Single-threaded over the range given; the caller
 * splits rows (or blocks of columns) between threads.
 *
 * <pre>{@code
 * QuantizedMatrix w = QuantizedMatrix.quantize(BlockFormats.Q8_0, weights, out, in);
 * QuantizedProducts.timesTransposed(1, x, 0, in, w, y, 0, out, false, 0, out);   // y = x·Wᵀ
 * QuantizedProducts.times(1, dy, 0, out, w, dx, 0, in, false, 0, w.blocksPerRow()); // dx = dy·W
 * }</pre>
 */
public final class QuantizedProducts {
    private static final QuantizedGemv SCALAR = new ScalarQuantizedGemv();

    private QuantizedProducts() {
    }

    /**
     * {@code y[i, r] = Σ_p x[i, p]·W[r, p]} for {@code i < m}, {@code fromRow ≤ r < toRow}: the
     * decoding product. See {@link QuantizedGemv#timesTransposed}.
     */
    public static void timesTransposed(int m, float[] x, int xOff, int ldx, QuantizedMatrix w, float[] y, int yOff, int ldy,
                                       boolean accumulate, int fromRow, int toRow) {
        kernelFor(w.format()).timesTransposed(m, x, xOff, ldx, w, y, yOff, ldy, accumulate, fromRow, toRow);
    }

    /**
     * {@code dx[i, c] = Σ_r dy[i, r]·W[r, c]} for {@code i < m} and the columns of blocks
     * {@code [fromBlock, toBlock)}: the gradient to the input. See {@link QuantizedGemv#times}.
     */
    public static void times(int m, float[] dy, int dyOff, int lddy, QuantizedMatrix w, float[] dx, int dxOff, int lddx,
                             boolean accumulate, int fromBlock, int toBlock) {
        kernelFor(w.format()).times(m, dy, dyOff, lddy, w, dx, dxOff, lddx, accumulate, fromBlock, toBlock);
    }

    /** True when {@code format}'s products run on a SIMD kernel here. */
    public static boolean hasSimdKernel(BlockFormat format) {
        return kernelFor(format) != SCALAR;
    }

    /**
     * {@code matrix} as the decoding kernels read it fastest: Q8_0 and Q4_0 in whole groups of eight
     * blocks interleaved ({@link InterleavedQ8_0Format}, {@link InterleavedQ4_0Format}) where the
     * Vector API has vectors of at least 8 floats, otherwise as it is. The same number of bytes, in a
     * new heap array when rearranged.
     */
    public static QuantizedMatrix forDecoding(QuantizedMatrix matrix) {
        if (!VectorSupport.available() || BlockLanes.FLOATS.length() < 8) {
            return matrix;
        }
        if (InterleavedQ8_0Format.fits(matrix)) {
            return InterleavedQ8_0Format.interleave(matrix);
        }
        return InterleavedQ4_0Format.fits(matrix) ? InterleavedQ4_0Format.interleave(matrix) : matrix;
    }

    static QuantizedGemv kernelFor(BlockFormat format) {
        if (!VectorSupport.available()) {
            return SCALAR;
        }
        if (format == BlockFormats.Q8_0) {
            return SimdKernels.Q8_0;
        }
        if (format == BlockFormats.Q8_0_BY_8) {
            return SimdKernels.Q8_0_BY_8;
        }
        if (format == BlockFormats.Q4_0) {
            return SimdKernels.Q4_0;
        }
        if (format == BlockFormats.Q4_0_BY_8) {
            return SimdKernels.Q4_0_BY_8;
        }
        if (format == BlockFormats.Q4_K) {
            return SimdKernels.Q4_K;
        }
        if (format == BlockFormats.Q5_K) {
            return SimdKernels.Q5_K;
        }
        if (format == BlockFormats.Q6_K) {
            return SimdKernels.Q6_K;
        }
        return SCALAR;
    }

    /** The SIMD kernels, in a class of their own so that they load only when the Vector API is present. */
    private static final class SimdKernels {
        static final QuantizedGemv Q8_0 = new SimdQ8_0Gemv();
        static final QuantizedGemv Q8_0_BY_8 = new SimdInterleavedQ8_0Gemv();
        static final QuantizedGemv Q4_0 = new SimdQ4_0Gemv();
        static final QuantizedGemv Q4_0_BY_8 = new SimdInterleavedQ4_0Gemv();
        static final QuantizedGemv Q4_K = new SimdQ4_KGemv();
        static final QuantizedGemv Q5_K = new SimdQ5_KGemv();
        static final QuantizedGemv Q6_K = new SimdQ6_KGemv();
    }
}
