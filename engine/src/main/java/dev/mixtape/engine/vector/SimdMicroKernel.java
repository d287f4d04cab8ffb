package dev.mixtape.engine.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API micro-kernel: a 4 × (2·lanes) tile of C (4×16 on AVX2) held in eight vector
 * accumulators. Each step p loads two vectors of the B sliver, broadcasts the four A values and does
 * eight fused multiply-adds.
 *
 * <p>What C2 (JDK 25, AVX2) makes of the loop: no bounds checks (hoisted out of the loop), the
 * broadcasts read straight from memory, the 8 accumulators, 2 B vectors and 2 broadcasts in 12 of
 * the 16 registers, one step per iteration (26 instructions for 8 FMAs); about 88 GFLOP per
 * CPU-second on a Zen 3 core from cache, 90% of its FMA peak. Shapes and unrollings tried against it
 * (docs/BENCHMARKS.md, "Matrix products"): unrolling the steps by hand, C2 schedules all the
 * loads of the unrolled steps first, spills accumulators and boxes vectors in the loop (15–19
 * GFLOP/s); 6×16 (12 accumulators, all 16 registers) compiles cleanly at first, but once the
 * {@code addToC} path has run, its recompiled loop allocates vector boxes (11–27 GFLOP/s); 5×16 and
 * 3×24 compile cleanly and were no faster. Loaded only when {@code jdk.incubator.vector} is present.
 */
final class SimdMicroKernel implements MicroKernel {
    private static final VectorSpecies<Float> S = VectorWidth.FLOATS;
    private static final int LANES = S.length();
    private static final int MR = 4;
    private static final int NR = 2 * LANES;
    @Override
    public int rows() {
        return MR;
    }

    @Override
    public int cols() {
        return NR;
    }

    @Override
    public void multiply(int kc, float[] a, int aOff, int aStep, float[] b, int bOff, float[] c, int cOff, int ldc, boolean addToC) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        int row0 = aOff;
        int row1 = aOff + aStep;
        int row2 = aOff + 2 * aStep;
        int row3 = aOff + 3 * aStep;
        for (int p = 0; p < kc; p++) {
            int bp = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bp);
            FloatVector b1 = FloatVector.fromArray(S, b, bp + LANES);
            FloatVector ai = FloatVector.broadcast(S, a[row0 + p]);
            c00 = ai.fma(b0, c00);
            c01 = ai.fma(b1, c01);
            ai = FloatVector.broadcast(S, a[row1 + p]);
            c10 = ai.fma(b0, c10);
            c11 = ai.fma(b1, c11);
            ai = FloatVector.broadcast(S, a[row2 + p]);
            c20 = ai.fma(b0, c20);
            c21 = ai.fma(b1, c21);
            ai = FloatVector.broadcast(S, a[row3 + p]);
            c30 = ai.fma(b0, c30);
            c31 = ai.fma(b1, c31);
        }
        storeRow(c00, c01, c, cOff, addToC);
        storeRow(c10, c11, c, cOff + ldc, addToC);
        storeRow(c20, c21, c, cOff + 2 * ldc, addToC);
        storeRow(c30, c31, c, cOff + 3 * ldc, addToC);
    }

    /**
     * The same tile with B's rows {@code ldb} apart. A copy of {@link #multiply}'s loop rather than
     * one loop for both: with the step a variable, the packed case ran about 14% slower (measured on
     * a 2048×288×768 product), as C2 then keeps the bounds checks of the B loads.
     */
    @Override
    public void multiplyInPlaceB(int kc, float[] a, int aOff, int aStep, float[] b, int bOff, int ldb, float[] c, int cOff,
                                 int ldc, boolean addToC) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        int row0 = aOff;
        int row1 = aOff + aStep;
        int row2 = aOff + 2 * aStep;
        int row3 = aOff + 3 * aStep;
        for (int p = 0; p < kc; p++) {
            int bp = bOff + p * ldb;
            FloatVector b0 = FloatVector.fromArray(S, b, bp);
            FloatVector b1 = FloatVector.fromArray(S, b, bp + LANES);
            FloatVector ai = FloatVector.broadcast(S, a[row0 + p]);
            c00 = ai.fma(b0, c00);
            c01 = ai.fma(b1, c01);
            ai = FloatVector.broadcast(S, a[row1 + p]);
            c10 = ai.fma(b0, c10);
            c11 = ai.fma(b1, c11);
            ai = FloatVector.broadcast(S, a[row2 + p]);
            c20 = ai.fma(b0, c20);
            c21 = ai.fma(b1, c21);
            ai = FloatVector.broadcast(S, a[row3 + p]);
            c30 = ai.fma(b0, c30);
            c31 = ai.fma(b1, c31);
        }
        storeRow(c00, c01, c, cOff, addToC);
        storeRow(c10, c11, c, cOff + ldc, addToC);
        storeRow(c20, c21, c, cOff + 2 * ldc, addToC);
        storeRow(c30, c31, c, cOff + 3 * ldc, addToC);
    }

    private static void storeRow(FloatVector left, FloatVector right, float[] c, int off, boolean addToC) {
        if (addToC) {
            left = left.add(FloatVector.fromArray(S, c, off));
            right = right.add(FloatVector.fromArray(S, c, off + LANES));
        }
        left.intoArray(c, off);
        right.intoArray(c, off + LANES);
    }

    /**
     * Transposes 8×8 blocks (8 rows, 8 steps) with {@link SimdTranspose#block}; steps beyond the last
     * multiple of 8 go through the plain loop. On a 768×288 weight this packed 1.4× as fast as the
     * element-by-element loop, which stores one float per step. Where the vectors are narrower than
     * 256 bits, the plain loop does it all.
     */
    @Override
    public void packTransposed(float[] src, int srcOff, int ld, int rows, int depth, float[] dst, int dstOff) {
        if (!SimdTranspose.usable()) {
            PanelPacking.transposeRows(src, srcOff, ld, 0, rows, depth, NR, dst, dstOff);
            return;
        }
        int sliverSize = depth * NR;
        int blockDepth = depth / 8 * 8;
        for (int r0 = 0; r0 < rows; r0 += 8) {
            int in = srcOff + r0 * ld;
            int out = dstOff + r0 / NR * sliverSize + r0 % NR;
            for (int p0 = 0; p0 < blockDepth; p0 += 8) {
                SimdTranspose.block(src, in + p0, ld, dst, out + p0 * NR, NR);
            }
            if (blockDepth < depth) {
                for (int r = 0; r < 8; r++) {
                    for (int p = blockDepth; p < depth; p++) {
                        dst[out + p * NR + r] = src[in + r * ld + p];
                    }
                }
            }
        }
    }

    /** Vector transposes: {@link SimdTranspose#packTransposedRows}. */
    @Override
    public void packTransposedRows(float[] src, int srcOff, int ld, int rows, int depth, float[] dst, int dstOff) {
        SimdTranspose.packTransposedRows(src, srcOff, ld, rows, depth, dst, dstOff);
    }

    /** Two vector loads and stores a row. */
    @Override
    public void packSliver(float[] src, int srcOff, int ld, int depth, float[] dst, int dstOff) {
        for (int p = 0; p < depth; p++) {
            int in = srcOff + p * ld;
            int out = dstOff + p * NR;
            FloatVector.fromArray(S, src, in).intoArray(dst, out);
            FloatVector.fromArray(S, src, in + LANES).intoArray(dst, out + LANES);
        }
    }
}
