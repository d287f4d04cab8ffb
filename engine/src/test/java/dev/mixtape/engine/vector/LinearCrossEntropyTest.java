package dev.mixtape.engine.vector;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Checks the fused head and loss of the Vector backend against a double-precision reference built
 * from its definition, with blocks of rows small enough that several (and a partial last one) run,
 * ignored rows, an offset into every array, and a weight gradient added to what is there.
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

    @ParameterizedTest(name = "simd={0} threads={1} rows per block={2} gradients={3}")
    @CsvSource({"true, 1, 3, true", "true, 2, 4, true", "true, 2, 100, true", "false, 2, 5, true", "true, 2, 4, false"})
    void matchesTheDefinition(boolean simd, int threads, int blockRows, boolean gradients) {
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
        float[] dx = gradients ? new float[offset + rows * dim] : null;
        float[] dw = gradients ? dwBefore.clone() : null;
        new LinearCrossEntropy(parallel, kernels, sgemm, blockRows * vocab + 1)
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
            if (!gradients) {
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
        if (gradients) {
            for (int i = 0; i < vocab * dim; i++) {
                assertEquals(expectedDw[i], dw[offset + i], 1e-4, "dw element " + i);
            }
        }
    }

    private static float[] values(Random random, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = random.nextFloat() * 2 - 1;
        }
        return out;
    }
}
