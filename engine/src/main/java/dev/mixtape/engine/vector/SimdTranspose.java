package dev.mixtape.engine.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Transposes for packing the operands of {@link Sgemm} that are stored the other way round from the
 * layout the micro-kernels read: 8×8 blocks of 256-bit vectors, 8 loads and 8 stores of whole
 * vectors each. A block is transposed in three rounds, one per bit of a lane's index (4, 2, 1): a
 * round pairs rows {@code i} and {@code i + s} ({@code i} without bit {@code s}) and exchanges the
 * lanes where the two disagree in that bit, each row taking the other's lanes swapped by that bit
 * ({@code lane ^ s}), one single-vector shuffle and one blend per row. After the three rounds the
 * value that was in row r, lane l is in row l, lane r. (A shuffle of two vectors, as
 * {@code rearrange(shuffle, other)}, compiles on AVX2 to two shuffles, a blend and the blend's mask:
 * the earlier form of this block, three rounds of such shuffles, ran 40 shuffles and 20 variable
 * blends per block.) Where the kernels' vectors are narrower than 256 bits (no 8-lane shuffles in
 * hardware), callers use the plain loops instead ({@link #usable()}). Loaded only when
 * {@code jdk.incubator.vector} is present.
 */
final class SimdTranspose {
    private static final VectorSpecies<Float> S8 = FloatVector.SPECIES_256;
    private static final VectorShuffle<Float> SWAP_4 = VectorShuffle.fromOp(S8, lane -> lane ^ 4);
    private static final VectorShuffle<Float> SWAP_2 = VectorShuffle.fromOp(S8, lane -> lane ^ 2);
    private static final VectorShuffle<Float> SWAP_1 = VectorShuffle.fromOp(S8, lane -> lane ^ 1);
    private static final VectorMask<Float> BIT_4 = VectorMask.fromLong(S8, 0b1111_0000);
    private static final VectorMask<Float> BIT_2 = VectorMask.fromLong(S8, 0b1100_1100);
    private static final VectorMask<Float> BIT_1 = VectorMask.fromLong(S8, 0b1010_1010);

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
        FloatVector r0 = FloatVector.fromArray(S8, src, in);
        FloatVector r1 = FloatVector.fromArray(S8, src, in + ld);
        FloatVector r2 = FloatVector.fromArray(S8, src, in + 2 * ld);
        FloatVector r3 = FloatVector.fromArray(S8, src, in + 3 * ld);
        FloatVector r4 = FloatVector.fromArray(S8, src, in + 4 * ld);
        FloatVector r5 = FloatVector.fromArray(S8, src, in + 5 * ld);
        FloatVector r6 = FloatVector.fromArray(S8, src, in + 6 * ld);
        FloatVector r7 = FloatVector.fromArray(S8, src, in + 7 * ld);
        FloatVector s0 = r0.blend(r4.rearrange(SWAP_4), BIT_4);
        FloatVector s4 = r0.rearrange(SWAP_4).blend(r4, BIT_4);
        FloatVector s1 = r1.blend(r5.rearrange(SWAP_4), BIT_4);
        FloatVector s5 = r1.rearrange(SWAP_4).blend(r5, BIT_4);
        FloatVector s2 = r2.blend(r6.rearrange(SWAP_4), BIT_4);
        FloatVector s6 = r2.rearrange(SWAP_4).blend(r6, BIT_4);
        FloatVector s3 = r3.blend(r7.rearrange(SWAP_4), BIT_4);
        FloatVector s7 = r3.rearrange(SWAP_4).blend(r7, BIT_4);
        FloatVector t0 = s0.blend(s2.rearrange(SWAP_2), BIT_2);
        FloatVector t2 = s0.rearrange(SWAP_2).blend(s2, BIT_2);
        FloatVector t1 = s1.blend(s3.rearrange(SWAP_2), BIT_2);
        FloatVector t3 = s1.rearrange(SWAP_2).blend(s3, BIT_2);
        FloatVector t4 = s4.blend(s6.rearrange(SWAP_2), BIT_2);
        FloatVector t6 = s4.rearrange(SWAP_2).blend(s6, BIT_2);
        FloatVector t5 = s5.blend(s7.rearrange(SWAP_2), BIT_2);
        FloatVector t7 = s5.rearrange(SWAP_2).blend(s7, BIT_2);
        t0.blend(t1.rearrange(SWAP_1), BIT_1).intoArray(dst, out);
        t0.rearrange(SWAP_1).blend(t1, BIT_1).intoArray(dst, out + outStride);
        t2.blend(t3.rearrange(SWAP_1), BIT_1).intoArray(dst, out + 2 * outStride);
        t2.rearrange(SWAP_1).blend(t3, BIT_1).intoArray(dst, out + 3 * outStride);
        t4.blend(t5.rearrange(SWAP_1), BIT_1).intoArray(dst, out + 4 * outStride);
        t4.rearrange(SWAP_1).blend(t5, BIT_1).intoArray(dst, out + 5 * outStride);
        t6.blend(t7.rearrange(SWAP_1), BIT_1).intoArray(dst, out + 6 * outStride);
        t6.rearrange(SWAP_1).blend(t7, BIT_1).intoArray(dst, out + 7 * outStride);
    }
}
