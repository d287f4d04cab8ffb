package dev.mixtape.engine.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Transposes for packing the operands of {@link Sgemm} that are stored the other way round from the
 * layout the micro-kernels read: 8×8 blocks of 256-bit vectors, 8 loads and 8 stores of whole
 * vectors each, in three rounds of two-vector shuffles: interleave pairs of rows (lane i of the result
 * from row {@code i % 2}), then pairs of pairs, then halves. An index of 8 or more names a lane of the
 * second vector. Where the kernels' vectors are narrower than 256 bits (no 8-lane shuffles in
 * hardware), callers use the plain loops instead ({@link #usable()}). Loaded only when
 * {@code jdk.incubator.vector} is present.
 */
final class SimdTranspose {
    private static final VectorSpecies<Float> S8 = FloatVector.SPECIES_256;
    private static final VectorShuffle<Float> PAIRS_LOW = VectorShuffle.fromValues(S8, 0, 8, 1, 9, 4, 12, 5, 13);
    private static final VectorShuffle<Float> PAIRS_HIGH = VectorShuffle.fromValues(S8, 2, 10, 3, 11, 6, 14, 7, 15);
    private static final VectorShuffle<Float> QUADS_LOW = VectorShuffle.fromValues(S8, 0, 1, 8, 9, 4, 5, 12, 13);
    private static final VectorShuffle<Float> QUADS_HIGH = VectorShuffle.fromValues(S8, 2, 3, 10, 11, 6, 7, 14, 15);
    private static final VectorShuffle<Float> HALVES_LOW = VectorShuffle.fromValues(S8, 0, 1, 2, 3, 8, 9, 10, 11);
    private static final VectorShuffle<Float> HALVES_HIGH = VectorShuffle.fromValues(S8, 4, 5, 6, 7, 12, 13, 14, 15);

    private SimdTranspose() {
    }

    /**
     * {@link MicroKernel#packTransposedRows} for the SIMD micro-kernels: through {@link #columnsToRows}
     * where {@link #usable()}, else the plain gather. A LoRA layer's gradient {@code dYᵀ·H} packs all
     * of {@code dY} for a product of r columns, so this packing is most of its time.
     */
    static void packTransposedRows(float[] src, int srcOff, int ld, int rows, int depth, float[] dst, int dstOff) {
        if (usable()) {
            columnsToRows(src, srcOff, ld, rows, depth, dst, dstOff);
        } else {
            PanelPacking.gatherRows(src, srcOff, 1, ld, 0, rows, depth, depth, dst, dstOff);
        }
    }

    /** Whether the kernels' vectors are at least 256 bits wide, so that the 8-lane shuffles run in hardware. */
    static boolean usable() {
        return VectorWidth.FLOATS.length() >= 8;
    }

    /**
     * Rows {@code [0, rows)} of an A stored transposed (its columns contiguous) into the packed A
     * layout: {@code dst[dstOff + i·depth + p] = src[srcOff + p·ld + i]} for p < depth. Whole 8×8
     * blocks go through {@link #block}, the rows and steps past the last multiple of 8 through the plain
     * loop. The blocks go along the source's rows, the 8 rows of packed A they write (a few KiB) staying
     * in L1 until a later block of steps completes their cache lines.
     */
    static void columnsToRows(float[] src, int srcOff, int ld, int rows, int depth, float[] dst, int dstOff) {
        int blockRows = rows / 8 * 8;
        int blockDepth = depth / 8 * 8;
        for (int p0 = 0; p0 < blockDepth; p0 += 8) {
            for (int i0 = 0; i0 < blockRows; i0 += 8) {
                block(src, srcOff + p0 * ld + i0, ld, dst, dstOff + i0 * depth + p0, depth);
            }
        }
        if (blockDepth < depth) {
            PanelPacking.gatherRows(src, srcOff + blockDepth * ld, 1, ld, 0, blockRows, depth - blockDepth, depth, dst,
                    dstOff + blockDepth);
        }
        PanelPacking.gatherRows(src, srcOff, 1, ld, blockRows, rows, depth, depth, dst, dstOff);
    }

    /** {@code dst[out + p·outStride + r] = src[in + r·ld + p]} for r, p in [0, 8). */
    static void block(float[] src, int in, int ld, float[] dst, int out, int outStride) {
        FloatVector row0 = FloatVector.fromArray(S8, src, in);
        FloatVector row1 = FloatVector.fromArray(S8, src, in + ld);
        FloatVector row2 = FloatVector.fromArray(S8, src, in + 2 * ld);
        FloatVector row3 = FloatVector.fromArray(S8, src, in + 3 * ld);
        FloatVector row4 = FloatVector.fromArray(S8, src, in + 4 * ld);
        FloatVector row5 = FloatVector.fromArray(S8, src, in + 5 * ld);
        FloatVector row6 = FloatVector.fromArray(S8, src, in + 6 * ld);
        FloatVector row7 = FloatVector.fromArray(S8, src, in + 7 * ld);
        FloatVector pair01Low = row0.rearrange(PAIRS_LOW, row1);
        FloatVector pair01High = row0.rearrange(PAIRS_HIGH, row1);
        FloatVector pair23Low = row2.rearrange(PAIRS_LOW, row3);
        FloatVector pair23High = row2.rearrange(PAIRS_HIGH, row3);
        FloatVector pair45Low = row4.rearrange(PAIRS_LOW, row5);
        FloatVector pair45High = row4.rearrange(PAIRS_HIGH, row5);
        FloatVector pair67Low = row6.rearrange(PAIRS_LOW, row7);
        FloatVector pair67High = row6.rearrange(PAIRS_HIGH, row7);
        FloatVector quad0 = pair01Low.rearrange(QUADS_LOW, pair23Low);
        FloatVector quad1 = pair01Low.rearrange(QUADS_HIGH, pair23Low);
        FloatVector quad2 = pair01High.rearrange(QUADS_LOW, pair23High);
        FloatVector quad3 = pair01High.rearrange(QUADS_HIGH, pair23High);
        FloatVector quad4 = pair45Low.rearrange(QUADS_LOW, pair67Low);
        FloatVector quad5 = pair45Low.rearrange(QUADS_HIGH, pair67Low);
        FloatVector quad6 = pair45High.rearrange(QUADS_LOW, pair67High);
        FloatVector quad7 = pair45High.rearrange(QUADS_HIGH, pair67High);
        quad0.rearrange(HALVES_LOW, quad4).intoArray(dst, out);
        quad1.rearrange(HALVES_LOW, quad5).intoArray(dst, out + outStride);
        quad2.rearrange(HALVES_LOW, quad6).intoArray(dst, out + 2 * outStride);
        quad3.rearrange(HALVES_LOW, quad7).intoArray(dst, out + 3 * outStride);
        quad0.rearrange(HALVES_HIGH, quad4).intoArray(dst, out + 4 * outStride);
        quad1.rearrange(HALVES_HIGH, quad5).intoArray(dst, out + 5 * outStride);
        quad2.rearrange(HALVES_HIGH, quad6).intoArray(dst, out + 6 * outStride);
        quad3.rearrange(HALVES_HIGH, quad7).intoArray(dst, out + 7 * outStride);
    }
}
