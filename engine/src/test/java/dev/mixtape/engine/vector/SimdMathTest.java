package dev.mixtape.engine.vector;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JIT-independent vector exp against {@link Math#exp}, and the fixed-order lane sum. */
class SimdMathTest {
    private static final int LANES = VectorWidth.FLOATS.length();

    @Test
    void expIsWithinAFewUlpAcrossTheFloatRange() {
        float[] in = new float[LANES];
        float[] out = new float[LANES];
        for (float x = -87f; x < 88f; x += 0.0137f) {
            for (int i = 0; i < LANES; i++) {
                in[i] = x + i * 1e-3f;
            }
            SimdMath.exp(FloatVector.fromArray(VectorWidth.FLOATS, in, 0)).intoArray(out, 0);
            for (int i = 0; i < LANES; i++) {
                double expected = Math.exp(in[i]);
                assertTrue(Math.abs(out[i] - expected) <= 4 * Math.ulp((float) expected), "exp(" + in[i] + ") = " + out[i] + ", expected " + expected);
            }
        }
    }

    @Test
    void expHandlesTheEdges() {
        float[] in = new float[LANES];
        float[] out = new float[LANES];
        java.util.Arrays.fill(in, -1000f);
        in[0] = Float.NaN;
        in[1] = 0f;
        in[2] = 1000f;
        in[4] = Float.NEGATIVE_INFINITY;
        in[5] = Float.POSITIVE_INFINITY;
        SimdMath.exp(FloatVector.fromArray(VectorWidth.FLOATS, in, 0)).intoArray(out, 0);
        assertTrue(Float.isNaN(out[0]));
        assertEquals(1f, out[1]);
        assertTrue(out[2] > 1e38f);
        assertEquals(0f, out[3]);
        assertEquals(0f, out[4]);
        assertTrue(out[5] > 1e38f);
    }

    /** A scalar tail must compute what a lane would: every input, the edges included, gives the same bits. */
    @Test
    void scalarExpIsEachLaneBitForBit() {
        float[] in = new float[LANES];
        float[] out = new float[LANES];
        float[] edges = {Float.NaN, 0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1000f, -1000f, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, 88.3762626647949f, 88.38f, -87.3365447504f, -87.34f, -103f, 1e-30f};
        int checked = 0;
        for (float x = -90f; x < 90f || checked < edges.length; ) {
            for (int i = 0; i < LANES; i++) {
                in[i] = checked < edges.length ? edges[checked++] : (x += 0.00731f);
            }
            SimdMath.exp(FloatVector.fromArray(VectorWidth.FLOATS, in, 0)).intoArray(out, 0);
            for (int i = 0; i < LANES; i++) {
                assertEquals(Float.floatToRawIntBits(out[i]), Float.floatToRawIntBits(ScalarMath.exp(in[i])), "exp(" + in[i] + ")");
            }
        }
    }

    @Test
    void lanesAreSummedInAFixedTree() {
        float[] values = new float[LANES];
        for (int i = 0; i < LANES; i++) {
            values[i] = (float) Math.pow(-1.7, i) + i * 1e-3f;
        }
        float[] level = values.clone();
        for (int width = LANES / 2; width >= 1; width /= 2) {
            for (int i = 0; i < width; i++) {
                level[i] = level[i] + level[i + width];
            }
        }
        assertEquals(level[0], SimdMath.sumLanes(FloatVector.fromArray(VectorWidth.FLOATS, values, 0)));
        float[] stored = new float[LANES + 3];
        System.arraycopy(values, 0, stored, 3, LANES);
        assertEquals(Float.floatToIntBits(level[0]), Float.floatToIntBits(SimdMath.sumLanes(stored, 3)),
                "stored lanes summed in the same tree");
    }

    /**
     * Several vectors stored back to back are each summed in the same tree as one vector alone: values
     * of mixed sign and magnitude, so that another order would round differently.
     */
    @Test
    void storedVectorsAreEachSummedInTheSameTree() {
        int count = 5;
        Random random = new Random(17);
        float[] stored = new float[count * LANES];
        for (int i = 0; i < stored.length; i++) {
            stored[i] = (float) ((random.nextDouble() - 0.5) * Math.pow(10, random.nextInt(7) - 3));
        }
        float[] sums = new float[count];
        SimdMath.sumLanesOfEach(stored.clone(), count, sums);
        for (int q = 0; q < count; q++) {
            float alone = SimdMath.sumLanes(FloatVector.fromArray(VectorWidth.FLOATS, stored, q * LANES));
            assertEquals(Float.floatToIntBits(alone), Float.floatToIntBits(sums[q]), "vector " + q);
        }
    }
}
