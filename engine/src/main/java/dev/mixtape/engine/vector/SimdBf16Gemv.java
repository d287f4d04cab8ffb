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
    private static final VectorSpecies<Float> S = VectorWidth.FLOATS;
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
        float[] lanes = new float[4 * S.length()];
        int quarter = bound == k ? (toCol - fromCol) / 4 : 0;
        float[] sums = new float[4];
        for (int j = fromCol; j < fromCol + quarter; j++) {
            for (int i = 0; i < m; i++) {
                dot4(bound, prepared, i * k, b, bOff + j * ldb, quarter * ldb, lanes, sums);
                for (int q = 0; q < 4; q++) {
                    int at = cOff + i * ldc + j + q * quarter;
                    c[at] = accumulate ? c[at] + sums[q] : sums[q];
                }
            }
        }
        for (int j = fromCol + 4 * quarter; j < toCol; j++) {
            for (int i = 0; i < m; i++) {
                float dot = dot(k, bound, prepared, i * k, b, bOff + j * ldb, lanes);
                int at = cOff + i * ldc + j;
                c[at] = accumulate ? c[at] + dot : dot;
            }
        }
    }

    /**
     * One split activation row without a tail ({@code k} whole blocks) against the weight rows starting
     * at {@code b0}, {@code b0 + spread}, {@code b0 + 2·spread} and {@code b0 + 3·spread}: four long
     * sequential streams in flight at once, as {@link SimdGemv} reads f32 weights, and each row summed
     * exactly as {@link #dot} sums it (folded from {@code lanes}, {@link SimdMath#sumLanesOfEach}).
     */
    private static void dot4(int k, float[] split, int xRow, short[] b, int b0, int spread, float[] lanes, float[] sums) {
        int width = S.length();
        int b1 = b0 + spread;
        int b2 = b1 + spread;
        int b3 = b2 + spread;
        FloatVector even0 = FloatVector.zero(S);
        FloatVector odd0 = even0;
        FloatVector even1 = even0;
        FloatVector odd1 = even0;
        FloatVector even2 = even0;
        FloatVector odd2 = even0;
        FloatVector even3 = even0;
        FloatVector odd3 = even0;
        for (int p = 0; p < k; p += 2 * width) {
            FloatVector xEven = FloatVector.fromArray(S, split, xRow + p);
            FloatVector xOdd = FloatVector.fromArray(S, split, xRow + p + width);
            IntVector pairs0 = ShortVector.fromArray(PAIRS, b, b0 + p).reinterpretAsInts();
            IntVector pairs1 = ShortVector.fromArray(PAIRS, b, b1 + p).reinterpretAsInts();
            IntVector pairs2 = ShortVector.fromArray(PAIRS, b, b2 + p).reinterpretAsInts();
            IntVector pairs3 = ShortVector.fromArray(PAIRS, b, b3 + p).reinterpretAsInts();
            even0 = xEven.fma(pairs0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), even0);
            odd0 = xOdd.fma(pairs0.and(HIGH_HALF).reinterpretAsFloats(), odd0);
            even1 = xEven.fma(pairs1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), even1);
            odd1 = xOdd.fma(pairs1.and(HIGH_HALF).reinterpretAsFloats(), odd1);
            even2 = xEven.fma(pairs2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), even2);
            odd2 = xOdd.fma(pairs2.and(HIGH_HALF).reinterpretAsFloats(), odd2);
            even3 = xEven.fma(pairs3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), even3);
            odd3 = xOdd.fma(pairs3.and(HIGH_HALF).reinterpretAsFloats(), odd3);
        }
        even0.add(odd0).intoArray(lanes, 0);
        even1.add(odd1).intoArray(lanes, width);
        even2.add(odd2).intoArray(lanes, 2 * width);
        even3.add(odd3).intoArray(lanes, 3 * width);
        SimdMath.sumLanesOfEach(lanes, 4, sums);
    }

    /**
     * One weight row against one split activation row: even-indexed products in one accumulator, odd
     * ones in another. The loop body is written out in full because C2 boxes the vectors when it
     * declines to inline a helper, which costs far more than the product. Without a scalar tail the
     * sum is folded in registers rather than stored and reloaded.
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
