package dev.mixtape.engine.vector;

import dev.mixtape.engine.DType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Bf16Gemv} with the Vector API. A bf16 value is the top half of an f32, so a vector of 2L
 * bf16 weights read as L ints holds L even-indexed weights in the low halves and L odd-indexed ones
 * in the high halves: a shift left by 16 gives the even ones as floats, masking off the low half the
 * odd ones. The activation rows are split once per product into the matching even and odd lanes, and each
 * load of weights feeds two FMAs with no conversion instruction. Loaded only when the Vector API is present.
 */
final class SimdBf16Gemv implements Bf16Gemv {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> PAIRS = S.withLanes(short.class);
    private static final int HIGH_HALF = 0xFFFF0000;

    /**
     * Each row of A with every whole block of 2L values rearranged as its L even-indexed values, then
     * its L odd-indexed ones; the tail after the last whole block stays in order.
     */
    @Override
    public float[] prepare(int m, int k, float[] a, int aOff, int lda) {
        int width = S.length();
        int bound = wholeBlocks(k);
        float[] split = new float[m * k];
        for (int i = 0; i < m; i++) {
            int from = aOff + i * lda;
            int to = i * k;
            for (int p = 0; p < bound; p += 2 * width) {
                for (int l = 0; l < width; l++) {
                    split[to + p + l] = a[from + p + 2 * l];
                    split[to + p + width + l] = a[from + p + 2 * l + 1];
                }
            }
            System.arraycopy(a, from + bound, split, to + bound, k - bound);
        }
        return split;
    }

    /** The length of the part of a row of k that whole blocks of 2L values cover. */
    private static int wholeBlocks(int k) {
        return k - k % (2 * S.length());
    }

    @Override
    public void rowsTimesTransposed(int m, int k, float[] prepared, short[] b, int bOff, int ldb,
                                    float[] c, int cOff, int ldc, boolean accumulate, int fromCol, int toCol) {
        int bound = wholeBlocks(k);
        float[] lanes = new float[S.length()];
        for (int j = fromCol; j < toCol; j++) {
            for (int i = 0; i < m; i++) {
                float dot = dot(k, bound, prepared, i * k, b, bOff + j * ldb, lanes);
                int at = cOff + i * ldc + j;
                c[at] = accumulate ? c[at] + dot : dot;
            }
        }
    }

    /**
     * One weight row against one split activation row: even-indexed products in one accumulator, odd
     * ones in another. One row at a time streams from memory faster here than four interleaved rows,
     * and the loop body is written out in full because C2 boxes the vectors when it declines to inline
     * a helper, which costs far more than the product. Without a scalar tail the sum is folded in
     * registers rather than stored and reloaded.
     */
    private static float dot(int k, int bound, float[] split, int xRow, short[] b, int bRow, float[] lanes) {
        int width = S.length();
        FloatVector even = FloatVector.zero(S);
        FloatVector odd = even;
        for (int p = 0; p < bound; p += 2 * width) {
            IntVector pairs = ShortVector.fromArray(PAIRS, b, bRow + p).reinterpretAsInts();
            even = FloatVector.fromArray(S, split, xRow + p).fma(pairs.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), even);
            odd = FloatVector.fromArray(S, split, xRow + p + width).fma(pairs.and(HIGH_HALF).reinterpretAsFloats(), odd);
        }
        if (bound == k) {
            return SimdMath.sumLanes(even.add(odd));
        }
        even.add(odd).intoArray(lanes, 0);
        for (int p = bound; p < k; p++) {
            lanes[0] += split[xRow + p] * DType.bf16ToFloat(b[bRow + p]);
        }
        return SimdMath.sumLanes(lanes, 0);
    }
}
