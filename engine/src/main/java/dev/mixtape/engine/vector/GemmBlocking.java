package dev.mixtape.engine.vector;

/**
 * Cache block sizes of {@link Sgemm}. The shared dimension is cut into slices of {@code kc}, so that
 * one packed {@code kc × NR} sliver of B stays in L1 while the micro-kernel reuses it for every row
 * tile of a block; the rows of C are cut into blocks of at most {@code mc}, so that the packed
 * {@code mc × kc} block of A stays in L2 while the kernel sweeps it once per B sliver.
 *
 * @param kc depth of a slice of the shared dimension k
 * @param mc largest number of rows of C in one block (rounded down to the micro-kernel's rows)
 */
record GemmBlocking(int kc, int mc) {

    /**
     * Sizes for AVX2 cores with 32 KiB L1d and 512 KiB L2: a 256×16 B sliver is 16 KiB, a 144×256 A
     * block 144 KiB.
     */
    static final GemmBlocking DEFAULT = new GemmBlocking(256, 144);

    GemmBlocking {
        if (kc < 1 || mc < 1) {
            throw new IllegalArgumentException("block sizes must be positive, got kc=" + kc + ", mc=" + mc);
        }
    }

    /**
     * The depth of the slices a shared dimension of {@code k} is cut into: the number of slices
     * nearest to {@code k / kc}, of equal depth but for a shorter last one. Each slice is one more
     * pass of the micro-kernel over C, so a thin tail slice (k = 288 as 256 + 32) would cost almost
     * a whole pass for a few steps; instead k = 288 is one slice of 288 and k = 576 two of 288. A
     * slice is at most 1.5·kc deep, which keeps a sliver of B within L1.
     */
    int sliceDepth(int k) {
        int slices = Math.max(1, (int) Math.round((double) k / kc));
        return (k + slices - 1) / slices;
    }
}
