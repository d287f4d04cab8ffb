package dev.mixtape.engine.nd4j;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Shapes;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.reference.ReferenceBackend;
import dev.mixtape.engine.vector.VectorBackend;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Backend agreement: runs one computation on the Vector backend in F32 and on each other backend (ND4J,
 * and the plain-loop {@link ReferenceBackend}) in a given dtype, and compares every returned tensor
 * element by element: within 1e-5 (relative to 1 + |expected|) in F32, 1e-4 in F64 against the f32
 * result. A fused or SIMD kernel of the Vector backend that disagrees with the reference's loops fails here.
 */
final class Conformance implements AutoCloseable {
    /** A computation that builds its inputs on {@code backend} in {@code dtype} and returns the tensors to compare. */
    interface Computation {
        Tensor[] run(Backend backend, DType dtype);
    }

    final VectorBackend vector = new VectorBackend(2);
    final Nd4jBackend nd4j = new Nd4jBackend();
    final ReferenceBackend reference = new ReferenceBackend();

    /** Runs {@code computation} on every backend and asserts that they agree with the Vector backend's F32 result. */
    void check(DType dtype, String what, Computation computation) {
        Tensor[] expected = computation.run(vector, DType.F32);
        for (Backend other : List.of(nd4j, reference)) {
            Tensor[] actual = computation.run(other, dtype);
            assertEquals(expected.length, actual.length, what + " on " + other.name() + ": number of results");
            for (int i = 0; i < expected.length; i++) {
                String label = what + " on " + other.name() + ", result " + i;
                assertEquals(dtype, actual[i].dtype(), label + ": dtype");
                assertArrayEquals(expected[i].shape(), actual[i].shape(), label + ": shape");
                assertClose(expected[i].toDoubleArray(), actual[i].toDoubleArray(), tolerance(dtype), label);
            }
        }
    }

    static double tolerance(DType nd4jDtype) {
        return nd4jDtype == DType.F32 ? 1e-5 : 1e-4;
    }

    static void assertClose(double[] expected, double[] actual, double tolerance, String label) {
        assertEquals(expected.length, actual.length, label + ": number of elements");
        for (int i = 0; i < expected.length; i++) {
            boolean bothNaN = Double.isNaN(expected[i]) && Double.isNaN(actual[i]);
            boolean sameInfinity = Double.isInfinite(expected[i]) && expected[i] == actual[i];
            double error = Math.abs(expected[i] - actual[i]);
            if (!bothNaN && !sameInfinity && !(error <= tolerance * (1 + Math.abs(expected[i])))) {
                fail(label + ": element " + i + " is " + actual[i] + ", expected " + expected[i] + " (tolerance "
                        + tolerance + ")\n expected " + Arrays.toString(expected) + "\n actual   " + Arrays.toString(actual));
            }
        }
    }

    /** {@code n} uniform values in {@code [-2, 2)}, exact in f32 so that both backends see the same inputs. */
    static double[] values(SplittableRandom random, int n) {
        return within(random, n, -2, 2);
    }

    /** {@code n} uniform values in {@code [0.25, 2)}: inputs for log, sqrt, division. */
    static double[] positive(SplittableRandom random, int n) {
        return within(random, n, 0.25, 2);
    }

    static double[] within(SplittableRandom random, int n, double from, double to) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) random.nextDouble(from, to);
        }
        return out;
    }

    /** A contiguous tensor of {@code shape} holding {@code data}. */
    static Tensor tensor(Backend backend, DType dtype, double[] data, int... shape) {
        return Tensor.of(backend, dtype, data, shape);
    }

    /** A contiguous tensor of zeros. */
    static Tensor zeros(Backend backend, DType dtype, int... shape) {
        return Tensor.zeros(backend, dtype, shape);
    }

    /** Random data for a tensor of {@code shape}. */
    static double[] valuesFor(SplittableRandom random, int... shape) {
        return values(random, Shapes.numel(shape));
    }

    @Override
    public void close() {
        vector.close();
    }
}
