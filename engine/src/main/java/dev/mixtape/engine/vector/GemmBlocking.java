package dev.mixtape.engine.vector;

/**
 * Cache block sizes of {@link Sgemm}: a {@code kc × nc} panel of B is packed once and reused for
 * every row block, so it should fit in L3 (here: per thread, since each thread packs its own); an
 * {@code mc × kc} block of A should stay in L2 while the kernel sweeps it once per B sliver; and a
 * {@code kc × NR} sliver of B should stay in L1 while it is reused for all {@code mc} rows.
 *
 * @param kc depth of a block (shared dimension k)
 * @param mc rows of C per block, rounded down to a multiple of the micro-kernel's rows
 * @param nc columns of C per block, rounded down to a multiple of the micro-kernel's columns
 */
record GemmBlocking(int kc, int mc, int nc) {

    /**
     * Sizes measured on AVX2 with 32 KiB L1d and 512 KiB L2 per core: a 256×16 B sliver is 16 KiB,
     * a 144×256 A block 144 KiB, a 256×3072 B panel 3 MiB.
     */
    static final GemmBlocking DEFAULT = new GemmBlocking(256, 144, 3072);

    GemmBlocking {
        if (kc < 1 || mc < 1 || nc < 1) {
            throw new IllegalArgumentException("block sizes must be positive, got kc=" + kc + ", mc=" + mc + ", nc=" + nc);
        }
    }
}
