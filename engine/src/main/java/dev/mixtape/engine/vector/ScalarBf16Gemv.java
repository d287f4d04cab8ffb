package dev.mixtape.engine.vector;

/** {@link Bf16Gemv} in plain loops, for JVMs without the Vector API. */
final class ScalarBf16Gemv implements Bf16Gemv {

    @Override
    public void rowsTimesTransposed(int m, int k, float[] a, int aOff, int lda, short[] b, int bOff, int ldb,
                                    float[] c, int cOff, int ldc, boolean accumulate, int fromCol, int toCol) {
        for (int i = 0; i < m; i++) {
            for (int j = fromCol; j < toCol; j++) {
                float dot = 0;
                for (int p = 0; p < k; p++) {
                    dot += a[aOff + i * lda + p] * Bf16Gemv.widen(b[bOff + j * ldb + p]);
                }
                int at = cOff + i * ldc + j;
                c[at] = accumulate ? c[at] + dot : dot;
            }
        }
    }
}
