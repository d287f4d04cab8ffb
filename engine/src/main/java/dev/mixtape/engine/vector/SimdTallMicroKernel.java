package dev.mixtape.engine.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API micro-kernel for AVX-512: an 8 × (2·lanes) tile of C (8×32) in sixteen vector
 * accumulators. Each step loads two vectors of the B sliver, broadcasts eight A values and does
 * sixteen fused multiply-adds, so every load serves more multiply-adds than in
 * {@link SimdMicroKernel}'s 4-row tile: 10 loads for 16 FMAs instead of 6 for 8. AVX-512's 32
 * registers hold the 16 accumulators, 2 B vectors and a broadcast; AVX2's 16 could not, which is why
 * the narrower widths keep the 4-row tile. On a Zen 5 core it multiplies 8–15% more GFLOP/s than the
 * 4-row tile at 512 bits (docs/BENCHMARKS.md, "Matrix products"). Each element of C is summed in the
 * same order as by the 4-row tile, so results do not depend on the kernel.
 *
 * <p>Its loop reads A k-major ({@link InterleavedAKernel}): the eight broadcasts of a step share
 * one address. With A's rows at a stride it compiled to an address computation per row and two
 * general registers kept in vector registers, about 40 instructions for 16 FMAs, and on an Intel
 * AVX-512 core ran at 130–134 GFLOP/s where the k-major loop runs at 150–163 (the kernel alone).
 * A with its rows at a stride ({@link #multiply}) and B read in place (products of a few rows) go
 * through the 4-row tile twice: the packed loop's constant stride is what lets C2 drop the bounds
 * checks of its loads.
 *
 * <p>The epilogue is written out rather than calling a helper per row: C2 stops inlining a method
 * this large once its node count passes a limit, and a vector passed to a helper that is not inlined
 * is boxed on the heap, which made the kernel ten times slower. Same B layout as
 * {@link SimdMicroKernel}, whose packing this kernel uses. Loaded only when
 * {@code jdk.incubator.vector} is present.
 */
final class SimdTallMicroKernel implements InterleavedAKernel {
    private static final VectorSpecies<Float> S = VectorWidth.FLOATS;
    private static final int LANES = S.length();
    private static final int MR = 8;
    private static final int NR = 2 * LANES;
    private final SimdMicroKernel packing = new SimdMicroKernel();

    @Override
    public int rows() {
        return MR;
    }

    @Override
    public int cols() {
        return NR;
    }

    @Override
    public void multiplyInPlaceB(int kc, float[] a, int aOff, int aStep, float[] b, int bOff, int ldb, float[] c, int cOff,
                                 int ldc, boolean addToC) {
        packing.multiplyInPlaceB(kc, a, aOff, aStep, b, bOff, ldb, c, cOff, ldc, addToC);
        packing.multiplyInPlaceB(kc, a, aOff + 4 * aStep, aStep, b, bOff, ldb, c, cOff + 4 * ldc, ldc, addToC);
    }

    @Override
    public void multiply(int kc, float[] a, int aOff, int aStep, float[] b, int bOff, float[] c, int cOff, int ldc, boolean addToC) {
        packing.multiply(kc, a, aOff, aStep, b, bOff, c, cOff, ldc, addToC);
        packing.multiply(kc, a, aOff + 4 * aStep, aStep, b, bOff, c, cOff + 4 * ldc, ldc, addToC);
    }

    @Override
    public void multiplyInterleavedA(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc, boolean addToC) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S);
        FloatVector c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S);
        FloatVector c71 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bp = bOff + p * NR;
            int ap = aOff + p * MR;
            FloatVector b0 = FloatVector.fromArray(S, b, bp);
            FloatVector b1 = FloatVector.fromArray(S, b, bp + LANES);
            FloatVector ai = FloatVector.broadcast(S, a[ap + 0]);
            c00 = ai.fma(b0, c00);
            c01 = ai.fma(b1, c01);
            ai = FloatVector.broadcast(S, a[ap + 1]);
            c10 = ai.fma(b0, c10);
            c11 = ai.fma(b1, c11);
            ai = FloatVector.broadcast(S, a[ap + 2]);
            c20 = ai.fma(b0, c20);
            c21 = ai.fma(b1, c21);
            ai = FloatVector.broadcast(S, a[ap + 3]);
            c30 = ai.fma(b0, c30);
            c31 = ai.fma(b1, c31);
            ai = FloatVector.broadcast(S, a[ap + 4]);
            c40 = ai.fma(b0, c40);
            c41 = ai.fma(b1, c41);
            ai = FloatVector.broadcast(S, a[ap + 5]);
            c50 = ai.fma(b0, c50);
            c51 = ai.fma(b1, c51);
            ai = FloatVector.broadcast(S, a[ap + 6]);
            c60 = ai.fma(b0, c60);
            c61 = ai.fma(b1, c61);
            ai = FloatVector.broadcast(S, a[ap + 7]);
            c70 = ai.fma(b0, c70);
            c71 = ai.fma(b1, c71);
        }
        int o0 = cOff;
        int o1 = cOff + ldc;
        int o2 = cOff + 2 * ldc;
        int o3 = cOff + 3 * ldc;
        int o4 = cOff + 4 * ldc;
        int o5 = cOff + 5 * ldc;
        int o6 = cOff + 6 * ldc;
        int o7 = cOff + 7 * ldc;
        if (addToC) {
            c00 = c00.add(FloatVector.fromArray(S, c, o0));
            c01 = c01.add(FloatVector.fromArray(S, c, o0 + LANES));
            c10 = c10.add(FloatVector.fromArray(S, c, o1));
            c11 = c11.add(FloatVector.fromArray(S, c, o1 + LANES));
            c20 = c20.add(FloatVector.fromArray(S, c, o2));
            c21 = c21.add(FloatVector.fromArray(S, c, o2 + LANES));
            c30 = c30.add(FloatVector.fromArray(S, c, o3));
            c31 = c31.add(FloatVector.fromArray(S, c, o3 + LANES));
            c40 = c40.add(FloatVector.fromArray(S, c, o4));
            c41 = c41.add(FloatVector.fromArray(S, c, o4 + LANES));
            c50 = c50.add(FloatVector.fromArray(S, c, o5));
            c51 = c51.add(FloatVector.fromArray(S, c, o5 + LANES));
            c60 = c60.add(FloatVector.fromArray(S, c, o6));
            c61 = c61.add(FloatVector.fromArray(S, c, o6 + LANES));
            c70 = c70.add(FloatVector.fromArray(S, c, o7));
            c71 = c71.add(FloatVector.fromArray(S, c, o7 + LANES));
        }
        c00.intoArray(c, o0);
        c01.intoArray(c, o0 + LANES);
        c10.intoArray(c, o1);
        c11.intoArray(c, o1 + LANES);
        c20.intoArray(c, o2);
        c21.intoArray(c, o2 + LANES);
        c30.intoArray(c, o3);
        c31.intoArray(c, o3 + LANES);
        c40.intoArray(c, o4);
        c41.intoArray(c, o4 + LANES);
        c50.intoArray(c, o5);
        c51.intoArray(c, o5 + LANES);
        c60.intoArray(c, o6);
        c61.intoArray(c, o6 + LANES);
        c70.intoArray(c, o7);
        c71.intoArray(c, o7 + LANES);
    }

    @Override
    public void packTransposed(float[] src, int srcOff, int ld, int rows, int depth, float[] dst, int dstOff) {
        packing.packTransposed(src, srcOff, ld, rows, depth, dst, dstOff);
    }

    @Override
    public void packTransposedRows(float[] src, int srcOff, int ld, int rows, int depth, float[] dst, int dstOff) {
        packing.packTransposedRows(src, srcOff, ld, rows, depth, dst, dstOff);
    }

    @Override
    public void packSliver(float[] src, int srcOff, int ld, int depth, float[] dst, int dstOff) {
        packing.packSliver(src, srcOff, ld, depth, dst, dstOff);
    }
}
