package dev.mixtape.engine.vector;

import java.util.Arrays;

/**
 * The plain-Java micro-kernel for JVMs without the Vector API: a 4×8 tile of C, updated in place one
 * step of the packed slivers at a time (the 8-wide inner loop is simple enough for the JIT to
 * vectorise on its own). Same packed layouts and same results up to rounding as {@link SimdMicroKernel}.
 */
final class ScalarMicroKernel implements MicroKernel {
    private static final int MR = 4;
    private static final int NR = 8;

    @Override
    public int rows() {
        return MR;
    }

    @Override
    public int cols() {
        return NR;
    }

    @Override
    public void multiply(int kc, float[] a, int aOff, int aStep, float[] b, int bOff, float[] c, int cOff, int ldc, boolean addToC) {
        multiplyInPlaceB(kc, a, aOff, aStep, b, bOff, NR, c, cOff, ldc, addToC);
    }

    @Override
    public void multiplyInPlaceB(int kc, float[] a, int aOff, int aStep, float[] b, int bOff, int ldb, float[] c, int cOff,
                                 int ldc, boolean addToC) {
        if (!addToC) {
            for (int i = 0; i < MR; i++) {
                Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + NR, 0f);
            }
        }
        for (int p = 0; p < kc; p++) {
            int bp = bOff + p * ldb;
            for (int i = 0; i < MR; i++) {
                float ai = a[aOff + i * aStep + p];
                int row = cOff + i * ldc;
                for (int j = 0; j < NR; j++) {
                    c[row + j] += ai * b[bp + j];
                }
            }
        }
    }

    @Override
    public void packTransposed(float[] src, int srcOff, int ld, int rows, int depth, float[] dst, int dstOff) {
        PanelPacking.transposeRows(src, srcOff, ld, 0, rows, depth, NR, dst, dstOff);
    }

    @Override
    public void packSliver(float[] src, int srcOff, int ld, int depth, float[] dst, int dstOff) {
        for (int p = 0; p < depth; p++) {
            System.arraycopy(src, srcOff + p * ld, dst, dstOff + p * NR, NR);
        }
    }
}
