package dev.mixtape.engine.vector;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Checks the fused head and loss of the Vector backend against a double-precision reference built
 * from its definition, with blocks of rows small enough that several (and a partial last one) run,
 * the vocabulary cut into several parts for the input gradient (a partial last one too), ignored
 * rows, an offset into every array, and a weight gradient added to what is there.
 */
class LinearCrossEntropyTest {
    private static final int IGNORE = -100;
    private static Parallel oneThread;
    private static Parallel twoThreads;

    @BeforeAll
    static void startPools() {
        oneThread = new Parallel(1);
        twoThreads = new Parallel(2);
    }

    @AfterAll
    static void stopPools() {
        oneThread.close();
        twoThreads.close();
    }

    /** Gradients: {@code both} (dx and dW), {@code input} (dx alone, a frozen head) or {@code none} (losses alone). */
    @ParameterizedTest(name = "simd={0} threads={1} rows per block={2} vocabulary part={3} gradients={4}")
    @CsvSource({"true, 1, 3, 7, both", "true, 2, 4, 7, both", "true, 2, 100, 45, both", "true, 2, 4, 1, both",
            "false, 2, 5, 16, both", "true, 1, 3, 7, input", "true, 2, 4, 7, input", "true, 2, 100, 45, input",
            "false, 2, 5, 16, input", "true, 2, 4, 7, none"})
    void matchesTheDefinition(boolean simd, int threads, int blockRows, int vocabPart, String gradients) {
        boolean inputGradient = !gradients.equals("none");
        boolean weightGradient = gradients.equals("both");
        int rows = 19;
        int dim = 37;
        int vocab = 45;
        int offset = 3;
        Random random = new Random(blockRows * 31L + threads);
        float[] x = values(random, offset + rows * dim);
        float[] w = values(random, offset + vocab * dim);
        float[] dwBefore = values(random, offset + vocab * dim);
        int[] targets = new int[rows];
        for (int i = 0; i < rows; i++) {
            targets[i] = i % 5 == 2 ? IGNORE : random.nextInt(vocab);
        }
        float scale = 0.3f;
        Parallel parallel = threads == 1 ? oneThread : twoThreads;
        ArrayKernels kernels = simd ? VectorSupport.simdKernels() : new ScalarArrayKernels();
        Sgemm sgemm = new Sgemm(parallel, simd ? new SimdMicroKernel() : new ScalarMicroKernel(), GemmBlocking.DEFAULT);
        float[] losses = new float[offset + rows];
        float[] dx = inputGradient ? new float[offset + rows * dim] : null;
        float[] dw = weightGradient ? dwBefore.clone() : null;
        new LinearCrossEntropy(parallel, kernels, sgemm, blockRows * vocab + 1, vocabPart)
                .run(rows, dim, vocab, x, offset, w, offset, targets, IGNORE, scale, losses, offset, dx, offset, dw, offset);

        double[] expectedDw = new double[vocab * dim];
        for (int i = 0; i < vocab * dim; i++) {
            expectedDw[i] = dwBefore[offset + i];
        }
        for (int r = 0; r < rows; r++) {
            double[] logits = new double[vocab];
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < vocab; v++) {
                for (int d = 0; d < dim; d++) {
                    logits[v] += (double) x[offset + r * dim + d] * w[offset + v * dim + d];
                }
                max = Math.max(max, logits[v]);
            }
            double sum = 0;
            for (int v = 0; v < vocab; v++) {
                sum += Math.exp(logits[v] - max);
            }
            double logSumExp = max + Math.log(sum);
            boolean ignored = targets[r] == IGNORE;
            assertEquals(ignored ? 0 : logSumExp - logits[targets[r]], losses[offset + r], 1e-4, "loss of row " + r);
            if (!inputGradient) {
                continue;
            }
            for (int d = 0; d < dim; d++) {
                double expected = 0;
                for (int v = 0; v < vocab; v++) {
                    double dLogit = ignored ? 0 : scale * (Math.exp(logits[v] - logSumExp) - (v == targets[r] ? 1 : 0));
                    expected += dLogit * w[offset + v * dim + d];
                    expectedDw[v * dim + d] += dLogit * x[offset + r * dim + d];
                }
                assertEquals(expected, dx[offset + r * dim + d], 1e-4, "dx[" + r + "][" + d + "]");
            }
        }
        if (weightGradient) {
            for (int i = 0; i < vocab * dim; i++) {
                assertEquals(expectedDw[i], dw[offset + i], 1e-4, "dw element " + i);
            }
        }
    }

    /**
     * The input gradient is summed from partials in a fixed order, so one thread and two give the same
     * bits: a run does not depend on the machine it runs on.
     */
    @Test
    void gradientsDoNotDependOnTheThreadCount() {
        int rows = 23;
        int dim = 40;
        int vocab = 300;
        Random random = new Random(5);
        float[] x = values(random, rows * dim);
        float[] w = values(random, vocab * dim);
        int[] targets = random.ints(rows, 0, vocab).toArray();
        float[][] dx = new float[2][rows * dim];
        float[][] losses = new float[2][rows];
        for (int run = 0; run < 2; run++) {
            Parallel parallel = run == 0 ? oneThread : twoThreads;
            Sgemm sgemm = new Sgemm(parallel, new SimdMicroKernel(), GemmBlocking.DEFAULT);
            new LinearCrossEntropy(parallel, VectorSupport.simdKernels(), sgemm, 8 * vocab, 64)
                    .run(rows, dim, vocab, x, 0, w, 0, targets, IGNORE, 0.5f, losses[run], 0, dx[run], 0, null, 0);
        }
        assertArrayEquals(losses[0], losses[1]);
        assertArrayEquals(dx[0], dx[1]);
    }

    private static float[] values(Random random, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = random.nextFloat() * 2 - 1;
        }
        return out;
    }
}
