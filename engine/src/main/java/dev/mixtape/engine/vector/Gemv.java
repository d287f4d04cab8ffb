package dev.mixtape.engine.vector;

/**
 * Matrix products with a few rows of A, the shapes of token-by-token decoding, computed straight
 * from the operands: packing a whole matrix for one row of output would cost more than the product.
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

    /**
     * Computes columns {@code fromCol..toCol-1} of {@code C [m, n] = A [m, k] · B [k, n]}: each row
     * of C is a sum of rows of B weighted by a row of A (attention's weights times the cached values).
     */
    void rowsTimes(int m, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                   float[] c, int cOff, int ldc, boolean accumulate, int fromCol, int toCol);
}
