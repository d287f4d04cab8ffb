package dev.mixtape.engine.vector;

/**
 * The innermost step of {@link Sgemm}: one {@code rows()×cols()} tile of C from a packed sliver of
 * A and a packed sliver of B (or, for products of a few rows, B read in place). Everything else in
 * the matrix multiply exists to feed this loop with data that sits in L1/L2 cache in exactly the
 * order it is read.
 *
 * <p>Layouts: the A sliver is {@code rows()} rows of {@code kc} values {@code aStep} apart,
 * {@code a[aOff + i·aStep + p] = A(i, p)}, either packed ({@code aStep = kc}, see
 * {@link PanelPacking}) or read in place from a row-major A ({@code aStep} its row length); the
 * packed B sliver holds {@code kc} steps of
 * {@code cols()} values, {@code b[bOff + p·cols() + j] = B(p, j)}. Slivers at the matrix edges are
 * zero-padded to the full tile, so the kernel never checks bounds.
 */
interface MicroKernel {

    /** Rows of C per tile (MR). */
    int rows();

    /** Columns of C per tile (NR). */
    int cols();

    /**
     * {@code C[i][j] = Σ_p A(i,p)·B(p,j)} for the full tile, where {@code C[i][j]} is
     * {@code c[cOff + i·ldc + j]}; with {@code addToC} the sum is added to what C holds.
     */
    void multiply(int kc, float[] a, int aOff, int aStep, float[] b, int bOff, float[] c, int cOff, int ldc, boolean addToC);

    /**
     * As {@link #multiply}, with the B sliver read in place from a row-major B whose rows are
     * {@code ldb} apart: {@code b[bOff + p·ldb + j] = B(p, j)}, all {@code cols()} columns inside B.
     */
    void multiplyInPlaceB(int kc, float[] a, int aOff, int aStep, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                          boolean addToC);

    /**
     * Packs {@code rows} (a multiple of {@link #cols()}) rows of a source whose rows are contiguous,
     * {@code src[srcOff + r·ld + p]} for {@code p < depth}, as slivers of this kernel's B layout:
     * {@code dst[dstOff + (r / cols())·depth·cols() + p·cols() + r % cols()]}. This is how a B stored
     * transposed (a weight {@code W} in {@code x·Wᵀ}) is packed, a transpose of the source.
     */
    void packTransposed(float[] src, int srcOff, int ld, int rows, int depth, float[] dst, int dstOff);

    /**
     * Packs {@code rows} rows of an A stored transposed (its columns contiguous, {@code ld} apart)
     * into the packed A layout: {@code dst[dstOff + i·depth + p] = src[srcOff + p·ld + i]} for
     * {@code p < depth}. This is how the weight gradient {@code dYᵀ·X} packs {@code dYᵀ}. The default
     * is {@link PanelPacking}'s plain loop.
     */
    default void packTransposedRows(float[] src, int srcOff, int ld, int rows, int depth, float[] dst, int dstOff) {
        PanelPacking.gatherRows(src, srcOff, 1, ld, 0, rows, depth, depth, dst, dstOff);
    }

    /**
     * Packs one sliver of a row-major B: {@code depth} rows of {@link #cols()} consecutive values,
     * {@code ld} apart, {@code dst[dstOff + p·cols() + j] = src[srcOff + p·ld + j]}. For slivers
     * packed one at a time, where a copy call per row of a few floats would cost more than the copy.
     */
    void packSliver(float[] src, int srcOff, int ld, int depth, float[] dst, int dstOff);
}
