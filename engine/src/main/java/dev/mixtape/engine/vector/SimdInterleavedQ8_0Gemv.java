package dev.mixtape.engine.vector;

import dev.mixtape.engine.quant.InterleavedQ8_0Format;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;

/**
 * The decoding kernel of Q8_0 held interleaved ({@link InterleavedQ8_0Format}; what it shares with
 * Q4_0's: {@link InterleavedGemv}). A run of 32 bytes is four elements of each of a group's eight
 * blocks, one int per block: shifting element t to the int's top byte and back down, sign extending,
 * gives element t of the eight blocks in eight lanes, widened to floats and multiplied by x. Per 32
 * weights that is one load, seven shifts, four conversions and four FMAs, and each load of x feeds
 * four rows. The loop is written out in full: C2 boxes a vector a helper returns where it declines
 * to inline the helper, which it did for these loops in a process that ran both interleaved kernels.
 */
final class SimdInterleavedQ8_0Gemv extends InterleavedGemv {
    private static final int RUN_ELEMENTS = RUN / GROUP;
    private static final int RUNS = BLOCK / RUN_ELEMENTS;
    private static final int BYTES = GROUP * 34;

    @Override
    void sums4(byte[] q, int row, int byteSpread, int groups, float[] lanes, float[] sums) {
        int row1 = row + byteSpread;
        int row2 = row1 + byteSpread;
        int row3 = row2 + byteSpread;
        for (int g = 0; g < groups; g++) {
            int at = g * BYTES;
            int xAt = g * SIZE;
            FloatVector sum0 = FloatVector.zero(LANES);
            FloatVector sum1 = sum0;
            FloatVector sum2 = sum0;
            FloatVector sum3 = sum0;
            for (int c = 0; c < RUNS; c++) {
                int b = at + QUANTS + RUN * c;
                IntVector run0 = ByteVector.fromArray(RUN_BYTES, q, row + b).reinterpretAsInts();
                IntVector run1 = ByteVector.fromArray(RUN_BYTES, q, row1 + b).reinterpretAsInts();
                IntVector run2 = ByteVector.fromArray(RUN_BYTES, q, row2 + b).reinterpretAsInts();
                IntVector run3 = ByteVector.fromArray(RUN_BYTES, q, row3 + b).reinterpretAsInts();
                for (int t = 0; t < RUN_ELEMENTS; t++) {
                    FloatVector xs = FloatVector.fromArray(LANES, lanes, xAt + RUN * c + GROUP * t);
                    int up = 24 - 8 * t;
                    sum0 = ((FloatVector) run0.lanewise(LSHL, up).lanewise(ASHR, 24).convert(I2F, 0)).fma(xs, sum0);
                    sum1 = ((FloatVector) run1.lanewise(LSHL, up).lanewise(ASHR, 24).convert(I2F, 0)).fma(xs, sum1);
                    sum2 = ((FloatVector) run2.lanewise(LSHL, up).lanewise(ASHR, 24).convert(I2F, 0)).fma(xs, sum2);
                    sum3 = ((FloatVector) run3.lanewise(LSHL, up).lanewise(ASHR, 24).convert(I2F, 0)).fma(xs, sum3);
                }
            }
            sum0.intoArray(sums, 4 * GROUP * g);
            sum1.intoArray(sums, 4 * GROUP * g + GROUP);
            sum2.intoArray(sums, 4 * GROUP * g + 2 * GROUP);
            sum3.intoArray(sums, 4 * GROUP * g + 3 * GROUP);
        }
    }
}
