package dev.mixtape.engine.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Products of a few activation rows with a row-major weight matrix, {@code C = A·Bᵀ} with
 * {@code A [m, k]} for small m (token-by-token decoding) and {@code B [n, k]}: every output is a dot
 * product of two contiguous rows, so each weight row is streamed from memory once for all m rows,
 * without the packing a blocked GEMM does. Loaded only when the Vector API is present.
 */
final class SimdGemv implements Gemv {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    @Override
    public void rowsTimesTransposed(int m, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                    float[] c, int cOff, int ldc, boolean accumulate, int fromCol, int toCol) {
        for (int i = 0; i < m; i += 4) {
            int rows = Math.min(4, m - i);
            for (int j = fromCol; j < toCol; j++) {
                dot4(rows, k, a, aOff + i * lda, lda, b, bOff + j * ldb, c, cOff + i * ldc + j, ldc, accumulate);
            }
        }
    }

    /** Up to four dot products of A rows with one B row, sharing each load of the B row. */
    private static void dot4(int rows, int k, float[] a, int aRow, int lda, float[] b, int bRow,
                             float[] c, int cAt, int ldc, boolean accumulate) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = FloatVector.zero(S);
        FloatVector s2 = FloatVector.zero(S);
        FloatVector s3 = FloatVector.zero(S);
        int bound = S.loopBound(k);
        int p = 0;
        for (; p < bound; p += S.length()) {
            FloatVector w = FloatVector.fromArray(S, b, bRow + p);
            s0 = FloatVector.fromArray(S, a, aRow + p).fma(w, s0);
            if (rows > 1) {
                s1 = FloatVector.fromArray(S, a, aRow + lda + p).fma(w, s1);
            }
            if (rows > 2) {
                s2 = FloatVector.fromArray(S, a, aRow + 2 * lda + p).fma(w, s2);
            }
            if (rows > 3) {
                s3 = FloatVector.fromArray(S, a, aRow + 3 * lda + p).fma(w, s3);
            }
        }
        FloatVector[] sums = {s0, s1, s2, s3};
        for (int r = 0; r < rows; r++) {
            float dot = SimdMath.sumLanes(sums[r]);
            for (int q = p; q < k; q++) {
                dot += a[aRow + r * lda + q] * b[bRow + q];
            }
            int at = cAt + r * ldc;
            c[at] = accumulate ? c[at] + dot : dot;
        }
    }
}
