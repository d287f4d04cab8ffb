package dev.mixtape.engine.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A Vector API micro-kernel one vector wide: a 6 × lanes tile of C (6×8 on AVX2) in six accumulators,
 * for products whose C has at most that many columns, a LoRA layer's rank-r hidden values
 * {@code x·Aᵀ} and their gradient {@code dY·B} among them. There {@link SimdMicroKernel}'s 16-column
 * tile is half empty, and half its multiply-adds are wasted. Each step loads one vector of the B
 * sliver, broadcasts six A values and does six fused multiply-adds: 6 + 1 + 6 = 13 of the 16 AVX2
 * registers with the broadcasts hoisted, so nothing spills. Loaded only when
 * {@code jdk.incubator.vector} is present.
 */
final class SimdNarrowMicroKernel implements MicroKernel {
    private static final VectorSpecies<Float> S = VectorWidth.FLOATS;
    private static final int MR = 6;
    private static final int NR = S.length();

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
        FloatVector c0 = FloatVector.zero(S);
        FloatVector c1 = FloatVector.zero(S);
        FloatVector c2 = FloatVector.zero(S);
        FloatVector c3 = FloatVector.zero(S);
        FloatVector c4 = FloatVector.zero(S);
        FloatVector c5 = FloatVector.zero(S);
        int row0 = aOff;
        int row1 = aOff + aStep;
        int row2 = aOff + 2 * aStep;
        int row3 = aOff + 3 * aStep;
        int row4 = aOff + 4 * aStep;
        int row5 = aOff + 5 * aStep;
        for (int p = 0; p < kc; p++) {
            FloatVector bp = FloatVector.fromArray(S, b, bOff + p * NR);
            c0 = FloatVector.broadcast(S, a[row0 + p]).fma(bp, c0);
            c1 = FloatVector.broadcast(S, a[row1 + p]).fma(bp, c1);
            c2 = FloatVector.broadcast(S, a[row2 + p]).fma(bp, c2);
            c3 = FloatVector.broadcast(S, a[row3 + p]).fma(bp, c3);
            c4 = FloatVector.broadcast(S, a[row4 + p]).fma(bp, c4);
            c5 = FloatVector.broadcast(S, a[row5 + p]).fma(bp, c5);
        }
        storeRow(c0, c, cOff, addToC);
        storeRow(c1, c, cOff + ldc, addToC);
        storeRow(c2, c, cOff + 2 * ldc, addToC);
        storeRow(c3, c, cOff + 3 * ldc, addToC);
        storeRow(c4, c, cOff + 4 * ldc, addToC);
        storeRow(c5, c, cOff + 5 * ldc, addToC);
    }

    /** The same tile with B's rows {@code ldb} apart (a copy of the loop, as in {@link SimdMicroKernel}). */
    @Override
    public void multiplyInPlaceB(int kc, float[] a, int aOff, int aStep, float[] b, int bOff, int ldb, float[] c, int cOff,
                                 int ldc, boolean addToC) {
        FloatVector c0 = FloatVector.zero(S);
        FloatVector c1 = FloatVector.zero(S);
        FloatVector c2 = FloatVector.zero(S);
        FloatVector c3 = FloatVector.zero(S);
        FloatVector c4 = FloatVector.zero(S);
        FloatVector c5 = FloatVector.zero(S);
        int row0 = aOff;
        int row1 = aOff + aStep;
        int row2 = aOff + 2 * aStep;
        int row3 = aOff + 3 * aStep;
        int row4 = aOff + 4 * aStep;
        int row5 = aOff + 5 * aStep;
        for (int p = 0; p < kc; p++) {
            FloatVector bp = FloatVector.fromArray(S, b, bOff + p * ldb);
            c0 = FloatVector.broadcast(S, a[row0 + p]).fma(bp, c0);
            c1 = FloatVector.broadcast(S, a[row1 + p]).fma(bp, c1);
            c2 = FloatVector.broadcast(S, a[row2 + p]).fma(bp, c2);
            c3 = FloatVector.broadcast(S, a[row3 + p]).fma(bp, c3);
            c4 = FloatVector.broadcast(S, a[row4 + p]).fma(bp, c4);
            c5 = FloatVector.broadcast(S, a[row5 + p]).fma(bp, c5);
        }
        storeRow(c0, c, cOff, addToC);
        storeRow(c1, c, cOff + ldc, addToC);
        storeRow(c2, c, cOff + 2 * ldc, addToC);
        storeRow(c3, c, cOff + 3 * ldc, addToC);
        storeRow(c4, c, cOff + 4 * ldc, addToC);
        storeRow(c5, c, cOff + 5 * ldc, addToC);
    }

    private static void storeRow(FloatVector row, float[] c, int off, boolean addToC) {
        (addToC ? row.add(FloatVector.fromArray(S, c, off)) : row).intoArray(c, off);
    }

    /** The plain loop: a narrow product's B (r rows of a weight) is a few thousand floats. */
    @Override
    public void packTransposed(float[] src, int srcOff, int ld, int rows, int depth, float[] dst, int dstOff) {
        PanelPacking.transposeRows(src, srcOff, ld, 0, rows, depth, NR, dst, dstOff);
    }

    /** Vector transposes: {@link SimdTranspose#packTransposedRows}. */
    @Override
    public void packTransposedRows(float[] src, int srcOff, int ld, int rows, int depth, float[] dst, int dstOff) {
        SimdTranspose.packTransposedRows(src, srcOff, ld, rows, depth, dst, dstOff);
    }

    @Override
    public void packSliver(float[] src, int srcOff, int ld, int depth, float[] dst, int dstOff) {
        for (int p = 0; p < depth; p++) {
            FloatVector.fromArray(S, src, srcOff + p * ld).intoArray(dst, dstOff + p * NR);
        }
    }
}
