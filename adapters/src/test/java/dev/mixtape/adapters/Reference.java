package dev.mixtape.adapters;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Plain double-precision loops to check the adapters' tensor arithmetic against. */
final class Reference {
    private Reference() {
    }

    /** {@code x·Wᵀ} for row-major {@code x [rows, in]} and {@code w [out, in]}: {@code [rows, out]}. */
    static double[] timesTransposed(double[] x, int rows, double[] w, int out) {
        int in = x.length / rows;
        double[] y = new double[rows * out];
        for (int i = 0; i < rows; i++) {
            for (int o = 0; o < out; o++) {
                double sum = 0;
                for (int k = 0; k < in; k++) {
                    sum += x[i * in + k] * w[o * in + k];
                }
                y[i * out + o] = sum;
            }
        }
        return y;
    }

    /** {@code a + s·b} element by element. */
    static double[] plusScaled(double[] a, double s, double[] b) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] + s * b[i];
        }
        return out;
    }

    /** The values as doubles. */
    static double[] widen(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    /** Asserts element by element that {@code actual} is within {@code tolerance} of {@code expected}. */
    static void assertClose(double[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance, what + ": element " + i);
        }
    }

    /** The largest absolute difference between two arrays of equal length. */
    static double maxDifference(float[] a, float[] b) {
        assertEquals(a.length, b.length, "lengths");
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }
}
