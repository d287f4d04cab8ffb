package dev.mixtape.engine.vector;

/**
 * {@link Gemv}'s product {@code A·Bᵀ} (a Linear layer's forward) with the weight B kept in bfloat16
 * ({@link Bf16Storage}): the same contract, each weight widened to f32 as it is read. Decoding streams every weight once
 * per token, so half the bytes is up to twice the speed where memory bandwidth is the limit.
 */
interface Bf16Gemv {
    /** Columns {@code fromCol..toCol-1} of {@code C [m, n] = A [m, k] · B [n, k]ᵀ}, B in bf16. */
    void rowsTimesTransposed(int m, int k, float[] a, int aOff, int lda, short[] b, int bOff, int ldb,
                             float[] c, int cOff, int ldc, boolean accumulate, int fromCol, int toCol);

    /** The f32 value of a bf16 bit pattern. */
    static float widen(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }
}
