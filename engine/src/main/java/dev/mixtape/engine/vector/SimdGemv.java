package dev.mixtape.engine.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Products of a few activation rows with a row-major weight matrix, {@code C = A·Bᵀ} with
 * {@code A [m, k]} for small m (token-by-token decoding) and {@code B [n, k]}: every output is a dot
 * product of two contiguous rows, computed straight from the weights without the packing a blocked
 * GEMM does. Loaded only when the Vector API is present.
 */
final class SimdGemv implements Gemv {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    @Override
    public void rowsTimesTransposed(int m, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                    float[] c, int cOff, int ldc, boolean accumulate, int fromCol, int toCol) {
        for (int i = 0; i < m; i++) {
            int aRow = aOff + i * lda;
            int cRow = cOff + i * ldc;
            int j = fromCol;
            for (; j + 1 < toCol; j += 2) {
                dot2(k, a, aRow, b, bOff + j * ldb, bOff + (j + 1) * ldb, c, cRow + j, accumulate);
            }
            for (; j < toCol; j++) {
                float dot = dot(k, a, aRow, b, bOff + j * ldb);
                c[cRow + j] = accumulate ? c[cRow + j] + dot : dot;
            }
        }
    }

    /** One dot product of length k, two accumulators to hide the FMA latency. */
    private static float dot(int k, float[] a, int aRow, float[] b, int bRow) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = FloatVector.zero(S);
        int step = S.length();
        int p = 0;
        for (; p + 2 * step <= k; p += 2 * step) {
            s0 = FloatVector.fromArray(S, a, aRow + p).fma(FloatVector.fromArray(S, b, bRow + p), s0);
            s1 = FloatVector.fromArray(S, a, aRow + p + step).fma(FloatVector.fromArray(S, b, bRow + p + step), s1);
        }
        for (; p + step <= k; p += step) {
            s0 = FloatVector.fromArray(S, a, aRow + p).fma(FloatVector.fromArray(S, b, bRow + p), s0);
        }
        float dot = SimdMath.sumLanes(s0.add(s1));
        for (; p < k; p++) {
            dot += a[aRow + p] * b[bRow + p];
        }
        return dot;
    }

    /** The activation row against two weight rows at once: each activation load serves two FMAs. */
    private static void dot2(int k, float[] a, int aRow, float[] b, int b0, int b1, float[] c, int cAt, boolean accumulate) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = FloatVector.zero(S);
        int step = S.length();
        int p = 0;
        for (; p + step <= k; p += step) {
            FloatVector x = FloatVector.fromArray(S, a, aRow + p);
            s0 = x.fma(FloatVector.fromArray(S, b, b0 + p), s0);
            s1 = x.fma(FloatVector.fromArray(S, b, b1 + p), s1);
        }
        float d0 = SimdMath.sumLanes(s0);
        float d1 = SimdMath.sumLanes(s1);
        for (; p < k; p++) {
            d0 += a[aRow + p] * b[b0 + p];
            d1 += a[aRow + p] * b[b1 + p];
        }
        c[cAt] = accumulate ? c[cAt] + d0 : d0;
        c[cAt + 1] = accumulate ? c[cAt + 1] + d1 : d1;
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
