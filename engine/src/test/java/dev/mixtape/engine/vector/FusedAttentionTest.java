package dev.mixtape.engine.vector;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checks {@link FusedAttention}, forward and backward, against double-precision loops written from
 * the definition: group sizes of one and three query heads per kv head, positions offset by a cache,
 * more keys than the queries see, row counts and head sizes that leave partial tiles, rows over
 * several blocks, a stack too small to give each thread a head (cut into ranges), one and two
 * threads, and both micro-kernels. Outputs start as NaN, so a value left unwritten fails.
 */
class FusedAttentionTest {
    @AutoClose
    private static final Parallel ONE_THREAD = new Parallel(1);
    @AutoClose
    private static final Parallel TWO_THREADS = new Parallel(2);

    /** matrices, query heads per kv head, seq, position offset, extra keys beyond the last position, head size. */
    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of(3, 1, 7, 0, 0, 4),
                Arguments.of(2, 3, 5, 2, 0, 20),
                Arguments.of(8, 1, 70, 0, 0, 48),
                Arguments.of(1, 2, 45, 11, 5, 17),
                Arguments.of(9, 1, 33, 0, 3, 16),
                Arguments.of(1, 1, 130, 0, 0, 64));
    }

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (Arguments shape : shapes().toList()) {
            for (String kernel : List.of("simd", "scalar")) {
                for (int threads : new int[] {1, 2}) {
                    Object[] values = shape.get();
                    Object[] withKernel = Arrays.copyOf(values, values.length + 2);
                    withKernel[values.length] = kernel;
                    withKernel[values.length + 1] = threads;
                    cases.add(Arguments.of(withKernel));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} matrices, group {1}, seq {2} from {3}, +{4} keys, d {5}, {6} kernel, {7} threads")
    @MethodSource("cases")
    void matchesTheDefinition(int matrices, int group, int seq, int offset, int extraKeys, int d, String kernelName, int threads) {
        MicroKernel kernel = kernelName.equals("simd") ? new SimdMicroKernel() : new ScalarMicroKernel();
        ArrayKernels kernels = kernelName.equals("simd") ? VectorSupport.simdKernels() : new ScalarArrayKernels();
        FusedAttention attention = new FusedAttention(threads == 1 ? ONE_THREAD : TWO_THREADS, kernel, kernels);
        Problem problem = new Problem(matrices, group * seq, offset + seq + extraKeys, d, seq, offset, new Random(matrices * 31L + seq));
        problem.run(attention);
        Reference expected = problem.reference();
        String label = matrices + " matrices, group " + group + ", seq " + seq + " from " + offset + ", d " + d;
        assertClose(expected.probabilities, problem.probabilities, "probabilities, " + label);
        assertClose(expected.out, problem.out, "out, " + label);
        assertClose(expected.dQ, problem.dQ, "dQ, " + label);
        assertClose(expected.dK, problem.dK, "dK, " + label);
        assertClose(expected.dV, problem.dV, "dV, " + label);
    }

    /**
     * Without a probabilities stack the forward keeps none and the backward computes them again: out,
     * dQ, dK and dV must be the very bits of the call that kept them (a recomputation cut into other
     * blocks, masked differently or missing rows would change some of them), including dV alone,
     * where the backward has no score gradients to compute.
     */
    @ParameterizedTest(name = "{0} matrices, group {1}, seq {2} from {3}, +{4} keys, d {5}, {6} kernel, {7} threads")
    @MethodSource("cases")
    void recomputedProbabilitiesGiveTheSameBits(int matrices, int group, int seq, int offset, int extraKeys, int d, String kernelName,
                                               int threads) {
        MicroKernel kernel = kernelName.equals("simd") ? new SimdMicroKernel() : new ScalarMicroKernel();
        ArrayKernels kernels = kernelName.equals("simd") ? VectorSupport.simdKernels() : new ScalarArrayKernels();
        FusedAttention attention = new FusedAttention(threads == 1 ? ONE_THREAD : TWO_THREADS, kernel, kernels);
        Problem kept = new Problem(matrices, group * seq, offset + seq + extraKeys, d, seq, offset, new Random(matrices * 31L + seq));
        kept.run(attention);
        Problem recomputed = new Problem(matrices, group * seq, offset + seq + extraKeys, d, seq, offset, new Random(matrices * 31L + seq));
        recomputed.runWithoutProbabilities(attention, true);
        assertArrayEquals(kept.out, recomputed.out, "out");
        assertArrayEquals(kept.dQ, recomputed.dQ, "dQ");
        assertArrayEquals(kept.dK, recomputed.dK, "dK");
        assertArrayEquals(kept.dV, recomputed.dV, "dV");
        Problem valuesOnly = new Problem(matrices, group * seq, offset + seq + extraKeys, d, seq, offset, new Random(matrices * 31L + seq));
        valuesOnly.runWithoutProbabilities(attention, false);
        assertArrayEquals(kept.dV, valuesOnly.dV, "dV alone");
        assertTrue(Float.isNaN(valuesOnly.dQ[0]) && Float.isNaN(valuesOnly.dK[0]), "dQ and dK are left alone");
    }

    @Test
    void skipsTheGradientsNotAskedFor() {
        FusedAttention attention = new FusedAttention(TWO_THREADS, new ScalarMicroKernel(), new ScalarArrayKernels());
        Problem problem = new Problem(2, 9, 9, 5, 9, 0, new Random(7));
        problem.forward(attention);
        attention.backward(problem.shape, problem.matrix("q", problem.q, problem.d), problem.matrix("k", problem.k, problem.d),
                problem.matrix("v", problem.v, problem.d), problem.matrix("P", problem.probabilities, problem.keys),
                problem.matrix("dOut", problem.dOut, problem.d), null, null, problem.matrix("dV", problem.dV, problem.d));
        assertClose(problem.reference().dV, problem.dV, "dV alone");
        assertTrue(Float.isNaN(problem.dQ[0]) && Float.isNaN(problem.dK[0]), "dQ and dK are left alone");
    }

    @Test
    void aKeyNoQuerySeesGetsZeroGradients() {
        FusedAttention attention = new FusedAttention(ONE_THREAD, new ScalarMicroKernel(), new ScalarArrayKernels());
        Problem problem = new Problem(1, 6, 10, 3, 6, 0, new Random(8));
        problem.run(attention);
        for (int key = 6; key < 10; key++) {
            for (int i = 0; i < 3; i++) {
                assertEquals(0f, problem.dK[key * 3 + i]);
                assertEquals(0f, problem.dV[key * 3 + i]);
            }
        }
    }

    private static void assertClose(double[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            double tolerance = 1e-5 + 1e-4 * Math.abs(expected[i]);
            if (!(Math.abs(expected[i] - actual[i]) <= tolerance)) {
                assertEquals(expected[i], actual[i], tolerance, what + " at " + i);
            }
        }
    }

    /** Random operands of one call and NaN-filled outputs, stacked contiguously. */
    private static final class Problem {
        final FusedAttention.Shape shape;
        final int rows;
        final int keys;
        final int d;
        final float[] q;
        final float[] k;
        final float[] v;
        final float[] dOut;
        final float[] probabilities;
        final float[] out;
        final float[] dQ;
        final float[] dK;
        final float[] dV;

        Problem(int matrices, int rows, int keys, int d, int seq, int offset, Random random) {
            this.shape = new FusedAttention.Shape(matrices, rows, keys, d, seq, offset);
            this.rows = rows;
            this.keys = keys;
            this.d = d;
            q = random(random, matrices * rows * d);
            k = random(random, matrices * keys * d);
            v = random(random, matrices * keys * d);
            dOut = random(random, matrices * rows * d);
            probabilities = nans(matrices * rows * keys);
            out = nans(matrices * rows * d);
            dQ = nans(matrices * rows * d);
            dK = nans(matrices * keys * d);
            dV = nans(matrices * keys * d);
        }

        StridedMatrix matrix(String name, float[] data, int cols) {
            return new StridedMatrix(name, data, 0, data.length / shape.matrices(), cols, 1);
        }

        void forward(FusedAttention attention) {
            attention.forward(shape, matrix("q", q, d), matrix("k", k, d), matrix("v", v, d), matrix("P", probabilities, keys),
                    matrix("out", out, d));
        }

        void run(FusedAttention attention) {
            forward(attention);
            attention.backward(shape, matrix("q", q, d), matrix("k", k, d), matrix("v", v, d), matrix("P", probabilities, keys),
                    matrix("dOut", dOut, d), matrix("dQ", dQ, d), matrix("dK", dK, d), matrix("dV", dV, d));
        }

        /** Both halves with no probabilities stack: the forward keeps none, the backward computes them again. */
        void runWithoutProbabilities(FusedAttention attention, boolean scoreGradients) {
            attention.forward(shape, matrix("q", q, d), matrix("k", k, d), matrix("v", v, d), null, matrix("out", out, d));
            attention.backward(shape, matrix("q", q, d), matrix("k", k, d), matrix("v", v, d), null, matrix("dOut", dOut, d),
                    scoreGradients ? matrix("dQ", dQ, d) : null, scoreGradients ? matrix("dK", dK, d) : null, matrix("dV", dV, d));
        }

        /** The definition, in doubles: P = softmax(mask(q·kᵀ)), O = P·v, and the backward of the docs. */
        Reference reference() {
            Reference r = new Reference(probabilities.length, out.length, dK.length);
            for (int t = 0; t < shape.matrices(); t++) {
                int qBase = t * rows * d;
                int kBase = t * keys * d;
                int pBase = t * rows * keys;
                for (int row = 0; row < rows; row++) {
                    int visible = row % shape.seq() + shape.positionOffset() + 1;
                    double[] scores = new double[keys];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int s = 0; s < visible; s++) {
                        for (int i = 0; i < d; i++) {
                            scores[s] += (double) q[qBase + row * d + i] * k[kBase + s * d + i];
                        }
                        max = Math.max(max, scores[s]);
                    }
                    double sum = 0;
                    for (int s = 0; s < visible; s++) {
                        scores[s] = Math.exp(scores[s] - max);
                        sum += scores[s];
                    }
                    double[] dP = new double[keys];
                    double rowDot = 0;
                    for (int s = 0; s < visible; s++) {
                        double p = scores[s] / sum;
                        r.probabilities[pBase + row * keys + s] = p;
                        for (int i = 0; i < d; i++) {
                            r.out[qBase + row * d + i] += p * v[kBase + s * d + i];
                            dP[s] += (double) dOut[qBase + row * d + i] * v[kBase + s * d + i];
                        }
                        rowDot += p * dP[s];
                    }
                    for (int s = 0; s < visible; s++) {
                        double p = r.probabilities[pBase + row * keys + s];
                        double dS = p * (dP[s] - rowDot);
                        for (int i = 0; i < d; i++) {
                            r.dQ[qBase + row * d + i] += dS * k[kBase + s * d + i];
                            r.dK[kBase + s * d + i] += dS * q[qBase + row * d + i];
                            r.dV[kBase + s * d + i] += p * dOut[qBase + row * d + i];
                        }
                    }
                }
            }
            return r;
        }

        private static float[] random(Random random, int n) {
            float[] values = new float[n];
            for (int i = 0; i < n; i++) {
                values[i] = (float) (random.nextGaussian() * 0.7);
            }
            return values;
        }

        private static float[] nans(int n) {
            float[] values = new float[n];
            Arrays.fill(values, Float.NaN);
            return values;
        }
    }

    /** The expected results. */
    private static final class Reference {
        final double[] probabilities;
        final double[] out;
        final double[] dQ;
        final double[] dK;
        final double[] dV;

        Reference(int scores, int queries, int keys) {
            probabilities = new double[scores];
            out = new double[queries];
            dQ = new double[queries];
            dK = new double[keys];
            dV = new double[keys];
        }
    }
}
