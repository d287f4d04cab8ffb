package dev.mixtape.engine.vector;

/**
 * Single-precision matrix multiply for the Vector backend: {@code C (+)= op(A)·op(B)} over a batch
 * of row-major matrices. Placeholder loop order (i, p, j) until the packed, blocked kernel lands.
 */
final class Sgemm {
    private final Parallel parallel;
    private final ArrayKernels kernels;

    Sgemm(Parallel parallel, ArrayKernels kernels) {
        this.parallel = parallel;
        this.kernels = kernels;
    }

    /**
     * For each batch index t: {@code C_t = op(A_t)·op(B_t)} (added to C when {@code accumulate}), where
     * {@code op(A)} is m×k, {@code op(B)} k×n, C is m×n with row length {@code ldc}. A is stored m×k
     * (row length {@code lda}) or, when {@code transA}, k×m; likewise B. Matrix t of A starts at
     * {@code aOff + t·strideA} (a stride of 0 shares one matrix across the batch).
     */
    void multiply(int batch, boolean transA, boolean transB, int m, int n, int k,
                  float[] a, int aOff, int strideA, int lda,
                  float[] b, int bOff, int strideB, int ldb,
                  float[] c, int cOff, int strideC, int ldc, boolean accumulate) {
        parallel.forRange(batch * m, 16, (from, to) -> {
            float[] column = new float[k];
            for (int row = from; row < to; row++) {
                int t = row / m;
                int i = row % m;
                int aBase = aOff + t * strideA;
                int bBase = bOff + t * strideB;
                int cRow = cOff + t * strideC + i * ldc;
                if (!accumulate) {
                    java.util.Arrays.fill(c, cRow, cRow + n, 0f);
                }
                for (int p = 0; p < k; p++) {
                    column[p] = transA ? a[aBase + p * lda + i] : a[aBase + i * lda + p];
                }
                if (transB) {
                    for (int j = 0; j < n; j++) {
                        c[cRow + j] += kernels.dot(column, 0, b, bBase + j * ldb, k);
                    }
                } else {
                    for (int p = 0; p < k; p++) {
                        kernels.axpy(column[p], b, bBase + p * ldb, c, cRow, n);
                    }
                }
            }
        });
    }
}
