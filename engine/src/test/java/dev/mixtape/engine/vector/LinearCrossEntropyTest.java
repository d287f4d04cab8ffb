package dev.mixtape.engine.vector;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Checks the fused heads and losses of the Vector backend against a double-precision reference built
 * from their definition: {@link LinearCrossEntropy} (with the weight's gradient) with blocks of rows
 * small enough that several (and a partial last one) run and the vocabulary cut into several parts
 * for the input gradient, {@link TiledLinearCrossEntropy} (without it) with several tiles each way
 * (and partial last ones); ignored rows, an offset into every array, and a weight gradient added to
 * what is there.
 */
class LinearCrossEntropyTest {
    private static final int IGNORE = -100;
    @AutoClose
    private static final Parallel oneThread = new Parallel(1);
    @AutoClose
    private static final Parallel twoThreads = new Parallel(2);

    /**
     * Gradients: {@code both} (dx and dW) or {@code weight} (dW alone) through the row blocks;
     * {@code input} (dx alone, a frozen head) or {@code none} (losses alone) through the tiles.
     */
    @ParameterizedTest(name = "simd={0} threads={1} rows per block or tile={2} vocabulary part={3} gradients={4}")
    @CsvSource({"true, 1, 3, 7, both", "true, 2, 4, 7, both", "true, 2, 100, 45, both", "true, 2, 4, 1, both",
            "false, 2, 5, 16, both", "true, 2, 4, 7, weight", "true, 1, 3, 7, input", "true, 2, 4, 7, input",
            "true, 2, 100, 45, input", "true, 2, 4, 1, input", "false, 2, 5, 16, input", "true, 2, 4, 7, none",
            "true, 1, 19, 64, none"})
    void matchesTheDefinition(boolean simd, int threads, int blockRows, int vocabPart, String gradients) {
        boolean inputGradient = gradients.equals("both") || gradients.equals("input");
        boolean weightGradient = gradients.equals("both") || gradients.equals("weight");
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
        if (weightGradient) {
            new LinearCrossEntropy(parallel, kernels, sgemm, blockRows * vocab + 1, vocabPart)
                    .run(rows, dim, vocab, x, offset, w, offset, targets, IGNORE, scale, losses, offset, dx, offset, dw, offset);
        } else {
            new TiledLinearCrossEntropy(parallel, kernels, sgemm, blockRows, vocabPart, TiledLinearCrossEntropy.PARTIAL_FLOATS)
                    .run(rows, dim, vocab, x, offset, w, offset, targets, IGNORE, scale, losses, offset, dx, offset);
        }

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
            for (int d = 0; d < dim; d++) {
                double expected = 0;
                for (int v = 0; v < vocab; v++) {
                    double dLogit = ignored ? 0 : scale * (Math.exp(logits[v] - logSumExp) - (v == targets[r] ? 1 : 0));
                    expected += dLogit * w[offset + v * dim + d];
                    expectedDw[v * dim + d] += dLogit * x[offset + r * dim + d];
                }
                if (inputGradient) {
                    assertEquals(expected, dx[offset + r * dim + d], 1e-4, "dx[" + r + "][" + d + "]");
                }
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
     * bits, in either head: a run does not depend on the machine it runs on.
     */
    @ParameterizedTest(name = "tiled={0}")
    @CsvSource({"false", "true"})
    void gradientsDoNotDependOnTheThreadCount(boolean tiled) {
        int rows = 23;
        int dim = 40;
        int vocab = 300;
        Random random = new Random(5);
        float[] x = values(random, rows * dim);
        float[] w = values(random, vocab * dim);
        int[] targets = random.ints(rows, 0, vocab).toArray();
        float[][] dx = new float[2][rows * dim];
        float[][] dw = new float[2][vocab * dim];
        float[][] losses = new float[2][rows];
        for (int run = 0; run < 2; run++) {
            Parallel parallel = run == 0 ? oneThread : twoThreads;
            Sgemm sgemm = new Sgemm(parallel, new SimdMicroKernel(), GemmBlocking.DEFAULT);
            if (tiled) {
                new TiledLinearCrossEntropy(parallel, VectorSupport.simdKernels(), sgemm, 8, 64, TiledLinearCrossEntropy.PARTIAL_FLOATS)
                        .run(rows, dim, vocab, x, 0, w, 0, targets, IGNORE, 0.5f, losses[run], 0, dx[run], 0);
            } else {
                new LinearCrossEntropy(parallel, VectorSupport.simdKernels(), sgemm, 8 * vocab, 64)
                        .run(rows, dim, vocab, x, 0, w, 0, targets, IGNORE, 0.5f, losses[run], 0, dx[run], 0, dw[run], 0);
            }
        }
        assertArrayEquals(losses[0], losses[1]);
        assertArrayEquals(dx[0], dx[1]);
        assertArrayEquals(dw[0], dw[1]);
    }

    /**
     * A frozen head whose partial input gradients may hold fewer rows than the call has is run on
     * groups of rows, packing the weight again for each: the losses and input gradients are those of
     * one group, bit for bit, on one thread and two, with a last group shorter than the others. A
     * group that read or wrote another group's rows, or a partial slot off by a group, changes them.
     */
    @ParameterizedTest(name = "threads={0}")
    @CsvSource({"1", "2"})
    void groupsOfRowsGiveWhatOneGroupGives(int threads) {
        int rows = 23;
        int dim = 40;
        int vocab = 300;
        int tileRows = 4;
        int vocabPart = 64;
        int parts = 5;
        Random random = new Random(11);
        float[] x = values(random, rows * dim);
        float[] w = values(random, vocab * dim);
        int[] targets = random.ints(rows, 0, vocab).toArray();
        targets[9] = IGNORE;
        Parallel parallel = threads == 1 ? oneThread : twoThreads;
        float[][] dx = new float[2][rows * dim];
        float[][] losses = new float[2][rows];
        int[] partialFloats = {parts * dim * rows, parts * dim * 2 * tileRows};
        for (int run = 0; run < 2; run++) {
            Sgemm sgemm = new Sgemm(parallel, new SimdMicroKernel(), GemmBlocking.DEFAULT);
            new TiledLinearCrossEntropy(parallel, VectorSupport.simdKernels(), sgemm, tileRows, vocabPart, partialFloats[run])
                    .run(rows, dim, vocab, x, 0, w, 0, targets, IGNORE, 0.5f, losses[run], 0, dx[run], 0);
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
