package dev.mixtape.engine.vector;

/**
 * {@code C[:, from..to) (+)= A·Bᵀ[:, from..to)} for a few rows of A: the decoding-time matrix
 * product, where streaming each weight row once matters more than blocking for cache reuse.
 */
interface Gemv {
    /** Rows at most this many go through Gemv rather than the blocked GEMM. */
    int MAX_ROWS = 4;

    /**
     * Computes columns {@code fromCol..toCol-1} of {@code C [m, n] = A [m, k] · B [n, k]ᵀ}, all
     * row-major with the given row lengths.
     */
    void rowsTimesTransposed(int m, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float[] c, int cOff, int ldc, boolean accumulate, int fromCol, int toCol);
}
