package dev.mixtape.engine.optim;

import dev.mixtape.engine.Tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Gives a parameter an exact, chosen gradient through the tape, as a loss would. */
final class TestGradients {
    private TestGradients() {
    }

    /** Makes {@code param.grad()} equal {@code values}: the gradient of {@code sum(param ⊙ values)} is {@code values}. */
    static void set(Tensor param, float[] values) {
        param.zeroGrad();
        param.mul(Tensor.of(param.backend(), values, param.shape())).sum().backward();
    }

    /** The values as doubles (the reference implementations compute in double). */
    static double[] widen(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    /** Asserts f32 results match a double reference within float rounding: |a − e| ≤ 1e-6 + 1e-5·|e|. */
    static void assertClose(double[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double tolerance = 1e-6 + 1e-5 * Math.abs(expected[i]);
            if (Math.abs(actual[i] - expected[i]) > tolerance) {
                fail(what + "[" + i + "]: expected " + expected[i] + " but was "
                        + actual[i] + " (tolerance " + tolerance + ")");
            }
        }
    }
}
