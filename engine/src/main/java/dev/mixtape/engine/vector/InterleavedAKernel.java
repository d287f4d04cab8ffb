package dev.mixtape.engine.vector;

/**
 * A {@link MicroKernel} whose fastest loop reads its sliver of A k-major, as BLIS packs it: the
 * {@code rows()} values of one step of k side by side, {@code a[aOff + p·rows() + i] = A(i, p)}. Its
 * broadcasts then share one address and differ by constant offsets, where rows {@code aStep} apart
 * take one address computation each. {@link Sgemm} packs A that way for such a kernel whenever it
 * packs the slivers of B; {@link #multiply}, with A's rows {@code aStep} apart, stays for the other
 * callers (B read in place, a low-rank term, {@link FusedAttention}).
 */
interface InterleavedAKernel extends MicroKernel {

    /** As {@link #multiply}, with the A sliver k-major: {@code a[aOff + p·rows() + i] = A(i, p)}. */
    void multiplyInterleavedA(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc, boolean addToC);
}
