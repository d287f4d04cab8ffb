package dev.mixtape.engine.vector;

import dev.mixtape.engine.BatchInvariantProducts;
import dev.mixtape.engine.FrozenWeights;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link SimdGemv}'s decoding product for two rows or more (continuous batching's steps: up to 4
 * rows, or a whole batch inside {@link dev.mixtape.engine.BatchInvariantProducts}), computing two
 * rows per weight load: for each group of four weight rows (the four quarters walked side by side,
 * as SimdGemv walks them) a pair of activation rows is multiplied against all four, eight
 * independent accumulators, so that every weight vector loaded serves two FMAs and every activation
 * vector four. Further pairs reread the same four weight rows from the L1 cache; an odd last row runs
 * SimdGemv's one-row kernel.
 *
 * <p>SimdGemv does each row as if alone, at four FMAs per five loads and four accumulators, which
 * leaves a core's second FMA pipe idle: four rows cost about four one-row products. Here they cost
 * about two.
 *
 * <p>Each accumulator sums its row and column exactly as {@link SimdGemv} does (the same vector FMAs
 * in the same order, the same scalar tail into lane 0, the same lane fold), so every output is bit
 * for bit what the one-row product gives: a row's result does not depend on which rows share its
 * product. That is what lets a server batch requests without changing their greedy output.
 *
 * <p>Inside {@link BatchInvariantProducts#run(int, FrozenWeights, java.util.function.Supplier)}, four
 * rows or more against one of the frozen weights take {@link SimdPanelGemv} instead (the same sums,
 * from a copy of the weights laid out for many rows), this kernel doing the columns left at either
 * end of the range that do not fill a panel.
 */
final class SimdRowPairGemv implements Gemv {
    private static final VectorSpecies<Float> S = VectorWidth.FLOATS;

    private final SimdGemv oneRow = new SimdGemv();

    @Override
    public void rowsTimesTransposed(int m, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                    float[] c, int cOff, int ldc, boolean accumulate, int fromCol, int toCol) {
        if (m < 2) {
            oneRow.rowsTimesTransposed(m, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, fromCol, toCol);
            return;
        }
        FrozenWeights frozen = BatchInvariantProducts.frozenWeights();
        if (frozen != null && m >= SimdPanelGemv.ROWS && k >= SimdPanelGemv.MIN_K) {
            int panelsFrom = Math.ceilDiv(fromCol, SimdPanelGemv.PANEL) * SimdPanelGemv.PANEL;
            int panelsTo = toCol / SimdPanelGemv.PANEL * SimdPanelGemv.PANEL;
            if (panelsFrom < panelsTo && SimdPanelGemv.rowsTimesTransposed(frozen, m, k, a, aOff, lda, b, bOff, ldb,
                    c, cOff, ldc, accumulate, panelsFrom, panelsTo)) {
                pairs(m, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, fromCol, panelsFrom);
                pairs(m, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, panelsTo, toCol);
                return;
            }
        }
        pairs(m, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, fromCol, toCol);
    }

    /** Columns {@code fromCol..toCol-1} by the row-pair kernel. */
    private void pairs(int m, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float[] c, int cOff, int ldc, boolean accumulate, int fromCol, int toCol) {
        float[] lanes = new float[8 * S.length()];
        float[] sums = new float[8];
        int quarter = (toCol - fromCol) / 4;
        int spread = quarter * ldb;
        for (int j = fromCol; j < fromCol + quarter; j++) {
            int bRow = bOff + j * ldb;
            int i = 0;
            for (; i + 1 < m; i += 2) {
                dot2x4(k, a, aOff + i * lda, aOff + (i + 1) * lda, b, bRow, spread, lanes, sums);
                for (int q = 0; q < 4; q++) {
                    store(c, cOff + i * ldc + j + q * quarter, sums[q], accumulate);
                    store(c, cOff + (i + 1) * ldc + j + q * quarter, sums[4 + q], accumulate);
                }
            }
            if (i < m) {
                SimdGemv.dot4(k, a, aOff + i * lda, b, bRow, spread, lanes, sums);
                for (int q = 0; q < 4; q++) {
                    store(c, cOff + i * ldc + j + q * quarter, sums[q], accumulate);
                }
            }
        }
        int rest = fromCol + 4 * quarter;
        oneRow.rowsTimesTransposed(m, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, rest, toCol);
    }

    private static void store(float[] c, int at, float sum, boolean accumulate) {
        c[at] = accumulate ? c[at] + sum : sum;
    }

    /**
     * Activation rows {@code a0} and {@code a1} against the weight rows at {@code b0}, {@code b0 + spread},
     * {@code b0 + 2·spread} and {@code b0 + 3·spread}: row a0's four dot products into {@code sums[0..3]},
     * row a1's into {@code sums[4..7]}, each summed as {@link SimdGemv#dot4} sums it.
     */
    private static void dot2x4(int k, float[] a, int a0, int a1, float[] b, int b0, int spread, float[] lanes, float[] sums) {
        int b1 = b0 + spread;
        int b2 = b1 + spread;
        int b3 = b2 + spread;
        FloatVector s00 = FloatVector.zero(S);
        FloatVector s01 = s00;
        FloatVector s02 = s00;
        FloatVector s03 = s00;
        FloatVector s10 = s00;
        FloatVector s11 = s00;
        FloatVector s12 = s00;
        FloatVector s13 = s00;
        int step = S.length();
        int bound = S.loopBound(k);
        int p = 0;
        for (; p < bound; p += step) {
            FloatVector x0 = FloatVector.fromArray(S, a, a0 + p);
            FloatVector x1 = FloatVector.fromArray(S, a, a1 + p);
            FloatVector w0 = FloatVector.fromArray(S, b, b0 + p);
            s00 = x0.fma(w0, s00);
            s10 = x1.fma(w0, s10);
            FloatVector w1 = FloatVector.fromArray(S, b, b1 + p);
            s01 = x0.fma(w1, s01);
            s11 = x1.fma(w1, s11);
            FloatVector w2 = FloatVector.fromArray(S, b, b2 + p);
            s02 = x0.fma(w2, s02);
            s12 = x1.fma(w2, s12);
            FloatVector w3 = FloatVector.fromArray(S, b, b3 + p);
            s03 = x0.fma(w3, s03);
            s13 = x1.fma(w3, s13);
        }
        s00.intoArray(lanes, 0);
        s01.intoArray(lanes, step);
        s02.intoArray(lanes, 2 * step);
        s03.intoArray(lanes, 3 * step);
        s10.intoArray(lanes, 4 * step);
        s11.intoArray(lanes, 5 * step);
        s12.intoArray(lanes, 6 * step);
        s13.intoArray(lanes, 7 * step);
        for (; p < k; p++) {
            float x0 = a[a0 + p];
            float x1 = a[a1 + p];
            lanes[0] += x0 * b[b0 + p];
            lanes[step] += x0 * b[b1 + p];
            lanes[2 * step] += x0 * b[b2 + p];
            lanes[3 * step] += x0 * b[b3 + p];
            lanes[4 * step] += x1 * b[b0 + p];
            lanes[5 * step] += x1 * b[b1 + p];
            lanes[6 * step] += x1 * b[b2 + p];
            lanes[7 * step] += x1 * b[b3 + p];
        }
        SimdMath.sumLanesOfEach(lanes, 8, sums);
    }

    @Override
    public void rowsTimes(int m, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                          float[] c, int cOff, int ldc, boolean accumulate, int fromCol, int toCol) {
        oneRow.rowsTimes(m, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, fromCol, toCol);
    }
}
