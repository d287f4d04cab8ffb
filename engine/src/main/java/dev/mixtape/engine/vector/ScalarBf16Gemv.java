package dev.mixtape.engine.vector;

import dev.mixtape.engine.DType;

/** {@link Bf16Gemv} in plain loops, for JVMs without the Vector API: A's rows are used as they are. */
final class ScalarBf16Gemv implements Bf16Gemv {

    @Override
    public float[] prepare(int m, int k, float[] a, int aOff, int lda) {
        float[] rows = new float[m * k];
        for (int i = 0; i < m; i++) {
            System.arraycopy(a, aOff + i * lda, rows, i * k, k);
        }
        return rows;
    }

    @Override
    public void rowsTimesTransposed(int m, int k, float[] prepared, short[] b, int bOff, int ldb,
                                    float[] c, int cOff, int ldc, boolean accumulate, int fromCol, int toCol) {
        for (int i = 0; i < m; i++) {
            for (int j = fromCol; j < toCol; j++) {
                float dot = 0;
                for (int p = 0; p < k; p++) {
                    dot += prepared[i * k + p] * DType.bf16ToFloat(b[bOff + j * ldb + p]);
                }
                int at = cOff + i * ldc + j;
                c[at] = accumulate ? c[at] + dot : dot;
            }
        }
    }
}
