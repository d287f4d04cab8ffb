package dev.mixtape.engine.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Products of a few activation rows with a row-major weight matrix, {@code C = A·Bᵀ} with
 * {@code A [m, k]} for small m (token-by-token decoding) and {@code B [n, k]}: every output is a dot
 * product of two contiguous rows, computed straight from the weights without the packing a blocked
 * GEMM does. Loaded only when the Vector API is present.
 *
 * <p>Reading the weights is the whole cost, so the loop is shaped for the memory system: the columns
 * are cut into four equal quarters walked side by side, so that four long sequential streams are in
 * flight at once. One core then streams 26 GB/s at k = 288 (stories15M) and 30 at k = 768, where one
 * row at a time streams 18 and 20, and four adjacent rows at a time, whose streams end every few
 * cache lines, 14 and 22.
 */
final class SimdGemv implements Gemv {
    private static final VectorSpecies<Float> S = VectorWidth.FLOATS;

    @Override
    public void rowsTimesTransposed(int m, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                    float[] c, int cOff, int ldc, boolean accumulate, int fromCol, int toCol) {
        float[] lanes = new float[4 * S.length()];
        float[] sums = new float[4];
        int quarter = (toCol - fromCol) / 4;
        for (int j = fromCol; j < fromCol + quarter; j++) {
            for (int i = 0; i < m; i++) {
                dot4(k, a, aOff + i * lda, b, bOff + j * ldb, quarter * ldb, lanes, sums);
                for (int q = 0; q < 4; q++) {
                    int at = cOff + i * ldc + j + q * quarter;
                    c[at] = accumulate ? c[at] + sums[q] : sums[q];
                }
            }
        }
        for (int j = fromCol + 4 * quarter; j < toCol; j++) {
            for (int i = 0; i < m; i++) {
                float dot = dot(k, a, aOff + i * lda, b, bOff + j * ldb, lanes);
                int at = cOff + i * ldc + j;
                c[at] = accumulate ? c[at] + dot : dot;
            }
        }
    }

    /**
     * The activation row against the weight rows starting at {@code b0}, {@code b0 + spread},
     * {@code b0 + 2·spread} and {@code b0 + 3·spread}, their dot products into {@code sums}: each
     * activation load serves four FMAs, and four independent accumulators hide the FMA latency. Every
     * row is summed exactly as {@link #dot} sums it, so a column's value does not depend on how the
     * columns were split between threads. The accumulators are folded from {@code lanes}
     * ({@link SimdMath#sumLanesOfEach}).
     */
    static void dot4(int k, float[] a, int aRow, float[] b, int b0, int spread, float[] lanes, float[] sums) {
        int b1 = b0 + spread;
        int b2 = b1 + spread;
        int b3 = b2 + spread;
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        int step = S.length();
        int bound = S.loopBound(k);
        int p = 0;
        for (; p < bound; p += step) {
            FloatVector x = FloatVector.fromArray(S, a, aRow + p);
            s0 = x.fma(FloatVector.fromArray(S, b, b0 + p), s0);
            s1 = x.fma(FloatVector.fromArray(S, b, b1 + p), s1);
            s2 = x.fma(FloatVector.fromArray(S, b, b2 + p), s2);
            s3 = x.fma(FloatVector.fromArray(S, b, b3 + p), s3);
        }
        s0.intoArray(lanes, 0);
        s1.intoArray(lanes, step);
        s2.intoArray(lanes, 2 * step);
        s3.intoArray(lanes, 3 * step);
        for (; p < k; p++) {
            float x = a[aRow + p];
            lanes[0] += x * b[b0 + p];
            lanes[step] += x * b[b1 + p];
            lanes[2 * step] += x * b[b2 + p];
            lanes[3 * step] += x * b[b3 + p];
        }
        SimdMath.sumLanesOfEach(lanes, 4, sums);
    }

    /**
     * One dot product of length k, with the arithmetic of one column of {@link #dot4}. Without a
     * scalar tail the accumulator is folded in registers: a store and eight loads per row would cost
     * a short row a tenth of its speed.
     */
    private static float dot(int k, float[] a, int aRow, float[] b, int bRow, float[] lanes) {
        FloatVector s = FloatVector.zero(S);
        int step = S.length();
        int bound = S.loopBound(k);
        int p = 0;
        for (; p < bound; p += step) {
            s = FloatVector.fromArray(S, a, aRow + p).fma(FloatVector.fromArray(S, b, bRow + p), s);
        }
        if (p == k) {
            return SimdMath.sumLanes(s);
        }
        s.intoArray(lanes, 0);
        for (; p < k; p++) {
            lanes[0] += a[aRow + p] * b[bRow + p];
        }
        return SimdMath.sumLanes(lanes, 0);
    }

    @Override
    public void rowsTimes(int m, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                          float[] c, int cOff, int ldc, boolean accumulate, int fromCol, int toCol) {
        int width = toCol - fromCol;
        int bound = S.loopBound(width);
        for (int i = 0; i < m; i++) {
            int cRow = cOff + i * ldc + fromCol;
            if (!accumulate) {
                java.util.Arrays.fill(c, cRow, cRow + width, 0f);
            }
            for (int p = 0; p < k; p++) {
                float weight = a[aOff + i * lda + p];
                FloatVector w = FloatVector.broadcast(S, weight);
                int bRow = bOff + p * ldb + fromCol;
                int j = 0;
                for (; j < bound; j += S.length()) {
                    FloatVector.fromArray(S, b, bRow + j).fma(w, FloatVector.fromArray(S, c, cRow + j)).intoArray(c, cRow + j);
                }
                for (; j < width; j++) {
                    c[cRow + j] += weight * b[bRow + j];
                }
            }
        }
    }
}
