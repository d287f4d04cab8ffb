package dev.mixtape.engine.vector;

/**
 * {@link Gemv}'s product {@code A·Bᵀ} (a Linear layer's forward) with the weight B kept in bfloat16
 * ({@link Bf16Storage}), each weight widened to f32 as it is read. Decoding streams every weight once
 * per token, so half the bytes is up to twice the speed where memory bandwidth is the limit.
 *
 * <p>The few rows of A are first copied into the order the kernel reads them ({@link #prepare}), once
 * per product; every thread's column ranges then read that copy.
 */
interface Bf16Gemv {
    /** The {@code m} rows of {@code A [m, k]} (row length {@code lda}) as a dense {@code m·k} array in this kernel's order. */
    float[] prepare(int m, int k, float[] a, int aOff, int lda);

    /**
     * Columns {@code fromCol..toCol-1} of {@code C [m, n] = A [m, k] · B [n, k]ᵀ}, B in bf16, from the
     * {@link #prepare}d rows of A.
     */
    void rowsTimesTransposed(int m, int k, float[] prepared, short[] b, int bOff, int ldb,
                             float[] c, int cOff, int ldc, boolean accumulate, int fromCol, int toCol);
}
