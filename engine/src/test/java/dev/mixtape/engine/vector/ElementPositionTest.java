package dev.mixtape.engine.vector;

import dev.mixtape.engine.UnaryOp;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * An element-wise kernel computes an element the same way wherever it falls: in a vector lane or in
 * the scalar tail after the last whole vector. Otherwise a row's values would depend on the rows
 * after it in its batch (its elements move between lanes and tail as the array grows), and on the
 * thread count (each thread's range has a tail of its own). Each kernel runs over an array that ends
 * in a tail, and once more on every element alone; the bits must agree.
 */
class ElementPositionTest {
    private static final int N = 3 * VectorWidth.FLOATS.length() + 5;
    private final ArrayKernels kernels = new SimdArrayKernels();

    @Test
    void unaryOps() {
        for (UnaryOp op : UnaryOp.values()) {
            float[] x = values(1, true);
            float[] whole = new float[N];
            kernels.unary(op, x, 0, whole, 0, N);
            float[] alone = new float[1];
            for (int i = 0; i < N; i++) {
                kernels.unary(op, x, i, alone, 0, 1);
                assertSame(whole[i], alone[0], op + " of element " + i);
            }
        }
    }

    @Test
    void swigluForwardAndBackward() {
        float[] gate = values(2, false);
        float[] up = values(3, false);
        float[] dOut = values(4, false);
        float[] out = new float[N];
        float[] dGate = new float[N];
        float[] dUp = new float[N];
        kernels.swiglu(gate, 0, up, 0, out, 0, N);
        kernels.swigluBackward(gate, 0, up, 0, dOut, 0, dGate, 0, dUp, 0, N);
        float[] one = new float[3];
        for (int i = 0; i < N; i++) {
            kernels.swiglu(gate, i, up, i, one, 0, 1);
            assertSame(out[i], one[0], "swiglu of element " + i);
            kernels.swigluBackward(gate, i, up, i, dOut, i, one, 1, one, 2, 1);
            assertSame(dGate[i], one[1], "swiglu's gate gradient of element " + i);
            assertSame(dUp[i], one[2], "swiglu's up gradient of element " + i);
        }
    }

    @Test
    void axpyAndShiftedExponentials() {
        float[] x = values(5, false);
        float[] y = values(6, false);
        float[] sum = y.clone();
        kernels.axpy(0.37f, x, 0, sum, 0, N);
        float[] exps = new float[N];
        kernels.expShifted(x, 0, 1.5f, exps, 0, N);
        float[] one = new float[1];
        for (int i = 0; i < N; i++) {
            one[0] = y[i];
            kernels.axpy(0.37f, x, i, one, 0, 1);
            assertSame(sum[i], one[0], "axpy of element " + i);
            kernels.expShifted(x, i, 1.5f, one, 0, 1);
            assertSame(exps[i], one[0], "shifted exponential of element " + i);
        }
    }

    @Test
    void adamwSteps() {
        float[] params = values(7, false);
        float[] grads = values(8, false);
        float[] m = values(9, false);
        float[] v = values(10, true);
        float[][] whole = {params.clone(), m.clone(), v.clone()};
        kernels.adamw(whole[0], 0, grads, 0, whole[1], 0, whole[2], 0, N, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.99f, 0.19f, 0.0199f);
        for (int i = 0; i < N; i++) {
            float[][] one = {{params[i]}, {m[i]}, {v[i]}};
            kernels.adamw(one[0], 0, grads, i, one[1], 0, one[2], 0, 1, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.99f, 0.19f, 0.0199f);
            for (int array = 0; array < 3; array++) {
                assertSame(whole[array][i], one[array][0], "AdamW array " + array + " of element " + i);
            }
        }
    }

    private static void assertSame(float expected, float actual, String what) {
        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual), what + ": " + expected + " vs " + actual);
    }

    /** Values of a few magnitudes, both signs unless {@code positive}, wide enough to reach exp's clamps. */
    private static float[] values(int seed, boolean positive) {
        Random random = new Random(seed);
        float[] values = new float[N];
        for (int i = 0; i < N; i++) {
            float value = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(4) - 2));
            values[i] = positive ? Math.abs(value) + 1e-3f : value;
        }
        values[N - 1] = positive ? 95f : -95f;
        return values;
    }
}
