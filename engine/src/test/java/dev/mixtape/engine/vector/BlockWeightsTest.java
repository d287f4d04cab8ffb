package dev.mixtape.engine.vector;

import dev.mixtape.engine.DType;
import dev.mixtape.engine.F;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.quant.BlockFormat;
import dev.mixtape.engine.quant.BlockFormats;
import dev.mixtape.engine.quant.QuantizedMatrix;
import dev.mixtape.engine.reference.ReferenceBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A block-format weight held as a tensor ({@link Tensor#ofBlocks}) computes, through the ops, what
 * the F32 tensor of its dequantised values computes: {@code x·Wᵀ} forward and the gradient to x
 * ({@code dY·W}) backward, for a few rows (the GEMV kernels, threads splitting weight rows or blocks
 * of columns) and for many (the GEMM with B packed from the blocks), with 2-D and 3-D inputs, and
 * embedding lookups. The GEMM packs exactly the dequantised floats into the same micro-kernel, so its
 * results must be bit-identical; the GEMV sums in another order, so it is held to f32 rounding of
 * the terms' magnitudes. A row, block or thread range read from the wrong place, a transposed
 * product taken the wrong way, or a batch not folded right changes values far beyond that.
 */
class BlockWeightsTest {
    private static final VectorBackend BACKEND = new VectorBackend(3);

    @AfterAll
    static void close() {
        BACKEND.close();
    }

    private static Tensor blocks(QuantizedMatrix w) {
        return Tensor.ofBlocks(BACKEND, DType.valueOf(w.format().name()), w.blocks(), w.rows(), w.cols());
    }

    @ParameterizedTest(name = "{0} tokens={1} out={2} blocks/row={3}")
    @CsvSource({"Q8_0, 1, 70, 5", "Q4_0, 3, 33, 8", "Q4_0, 4, 70, 3", "Q4_K, 2, 19, 2", "Q6_K, 1, 9, 2", "Q5_1, 2, 11, 3",
            "Q8_0, 5, 70, 5", "Q4_0, 37, 33, 8", "Q4_K, 40, 19, 2", "Q6_K, 9, 21, 2", "Q5_K, 6, 7, 1",
            "Q4_0, 37, 1100, 8", "Q6_K, 6, 1030, 1"})
    void linearLayerAndItsInputGradientMatchTheDequantisedWeight(String name, int tokens, int out, int blocksPerRow) {
        BlockFormat format = BlockFormats.named(name);
        SplittableRandom random = new SplittableRandom(tokens * 131L + out);
        int in = blocksPerRow * format.blockSize();
        QuantizedMatrix w = QuantizedTestMatrices.random(format, out, in, random);
        Tensor quantized = blocks(w);
        Tensor dense = Tensor.of(BACKEND, w.dequantize(), out, in);
        float[] xValues = QuantizedTestMatrices.floats(2 * tokens * in, random);
        float[] gValues = QuantizedTestMatrices.floats(2 * tokens * out, random);
        for (int[] shape : new int[][] {{2 * tokens, in}, {2, tokens, in}}) {
            Tensor[] x = new Tensor[2];
            Tensor[] y = new Tensor[2];
            Tensor[] weights = {dense, quantized};
            for (int i = 0; i < 2; i++) {
                x[i] = Tensor.of(BACKEND, xValues, shape).requiresGrad(true);
                y[i] = F.linear(x[i], weights[i], null);
                int[] outShape = y[i].shape();
                y[i].backward(Tensor.of(BACKEND, gValues, outShape));
            }
            boolean blocked = tokens > Gemv.MAX_ROWS;
            String what = name + " " + java.util.Arrays.toString(shape);
            assertClose(y[0].toFloatArray(), y[1].toFloatArray(), blocked, in, what + " y = x·Wᵀ");
            assertClose(x[0].grad().toFloatArray(), x[1].grad().toFloatArray(), blocked, out, what + " dx = dy·W");
        }
    }

    /**
     * A low-rank term beside a block-format weight (a LoRA layer on a quantised base) takes the fused
     * epilogue with B packed from the blocks: forward and every gradient equal those on the dequantised
     * weight bit for bit with many rows, and within rounding with a few (the GEMV and two products).
     * With 1100 outputs and 320 inputs the many-row products are cut into ranges of columns, each
     * packed from the blocks on its own, forward and backward (a range packed or written at the wrong
     * columns, or a low-rank term's columns not following its range, changes values).
     */
    @ParameterizedTest(name = "{0} tokens={1} in={2} out={3}")
    @CsvSource({"Q4_0, 24, 64, 40", "Q4_K, 9, 512, 40", "Q8_0, 3, 64, 40", "Q4_0, 24, 320, 1100", "Q8_0, 7, 320, 1100"})
    void lowRankLinearOnABlockWeightMatchesTheDequantisedWeight(String name, int tokens, int in, int out) {
        BlockFormat format = BlockFormats.named(name);
        SplittableRandom random = new SplittableRandom(tokens);
        int rank = 4;
        QuantizedMatrix w = QuantizedTestMatrices.random(format, out, in, random);
        float[] xValues = QuantizedTestMatrices.floats(tokens * in, random);
        float[] downValues = QuantizedTestMatrices.floats(rank * in, random);
        float[] upValues = QuantizedTestMatrices.floats(out * rank, random);
        float[] gValues = QuantizedTestMatrices.floats(tokens * out, random);
        Tensor[] weights = {Tensor.of(BACKEND, w.dequantize(), out, in), blocks(w)};
        float[][][] results = new float[2][][];
        for (int i = 0; i < 2; i++) {
            Tensor x = Tensor.of(BACKEND, xValues, tokens, in).requiresGrad(true);
            Tensor down = Tensor.of(BACKEND, downValues, rank, in).requiresGrad(true);
            Tensor up = Tensor.of(BACKEND, upValues, out, rank).requiresGrad(true);
            Tensor y = F.lowRankLinear(x, weights[i], x, down, up, 0.5);
            y.backward(Tensor.of(BACKEND, gValues, tokens, out));
            results[i] = new float[][] {y.toFloatArray(), x.grad().toFloatArray(), down.grad().toFloatArray(), up.grad().toFloatArray()};
        }
        String[] what = {"y", "dx", "d down", "d up"};
        for (int j = 0; j < what.length; j++) {
            assertClose(results[0][j], results[1][j], tokens > Gemv.MAX_ROWS, Math.max(in, out), name + " " + what[j]);
        }
    }

    /**
     * The backend's matmul itself, onto an output already holding values: {@code accumulate} adds to
     * them, otherwise they are overwritten (a kernel that adds where it should write, or the reverse,
     * fails here even where fresh outputs start at zero).
     */
    @ParameterizedTest(name = "{0} m={1} transposed={2} accumulate={3}")
    @CsvSource({"Q4_0, 1, true, true", "Q4_0, 3, false, true", "Q4_0, 2, false, false", "Q4_K, 4, true, false",
            "Q8_0, 9, true, true", "Q8_0, 9, false, true", "Q6_K, 7, false, false", "Q4_0, 12, true, false"})
    void matmulAddsOrOverwritesAsAsked(String name, int m, boolean transposed, boolean accumulate) {
        BlockFormat format = BlockFormats.named(name);
        SplittableRandom random = new SplittableRandom(m * 7L + (transposed ? 1 : 0));
        int rows = 2 * format.blockSize() / 8 + 3;
        int cols = 2 * format.blockSize();
        QuantizedMatrix w = QuantizedTestMatrices.random(format, rows, cols, random);
        int k = transposed ? cols : rows;
        int n = transposed ? rows : cols;
        Tensor a = Tensor.of(BACKEND, QuantizedTestMatrices.floats(m * k, random), m, k);
        float[] start = QuantizedTestMatrices.floats(m * n, random);
        Tensor expected = Tensor.of(BACKEND, start, m, n);
        Tensor actual = Tensor.of(BACKEND, start, m, n);
        BACKEND.matmul(a, false, Tensor.of(BACKEND, w.dequantize(), rows, cols), transposed, expected, accumulate);
        BACKEND.matmul(a, false, blocks(w), transposed, actual, accumulate);
        assertClose(expected.toFloatArray(), actual.toFloatArray(), m > Gemv.MAX_ROWS, k, name + " m=" + m);
    }

    /**
     * The fused output head with a frozen block-format weight (LoRA training's loss) packs each part
     * of the vocabulary from the blocks: losses and the input gradient equal those of the dequantised
     * weight bit for bit, over several parts and blocks of rows, with an ignored target (a part packed
     * from the wrong rows, in the wrong layout, or a target's row decoded wrongly changes them).
     */
    @ParameterizedTest(name = "{0} rows={1} vocab={2}")
    @CsvSource({"Q4_0, 300, 5000", "Q6_K, 40, 2100", "Q8_0, 3, 70"})
    void fusedOutputHeadOnABlockWeightMatchesTheDequantisedWeight(String name, int rows, int vocab) {
        BlockFormat format = BlockFormats.named(name);
        SplittableRandom random = new SplittableRandom(rows + vocab);
        int dim = format.blockSize() == 256 ? 256 : 96;
        QuantizedMatrix w = QuantizedTestMatrices.random(format, vocab, dim, random);
        float[] xValues = QuantizedTestMatrices.floats(rows * dim, random);
        int[] targets = random.ints(rows, 0, vocab).toArray();
        targets[rows / 2] = -100;
        Tensor[] weights = {Tensor.of(BACKEND, w.dequantize(), vocab, dim), blocks(w)};
        float[][][] results = new float[2][][];
        for (int i = 0; i < 2; i++) {
            Tensor x = Tensor.of(BACKEND, xValues, rows, dim).requiresGrad(true);
            Tensor loss = F.linearCrossEntropy(x, weights[i], targets, -100);
            loss.backward();
            results[i] = new float[][] {loss.toFloatArray(), x.grad().toFloatArray()};
        }
        assertArrayEquals(results[0][0], results[1][0], name + " loss");
        assertArrayEquals(results[0][1], results[1][1], name + " dx");
        assertTrue(Math.abs(results[0][1][0]) > 0, name + " dx is not zero");
    }

    /** Bit-identical for the blocked product; else within 1e-5 of the largest possible term sum (|x|, |W| ≤ the values drawn). */
    private static void assertClose(float[] expected, float[] actual, boolean exact, int terms, String what) {
        if (exact) {
            assertArrayEquals(expected, actual, what);
            return;
        }
        double largest = 0;
        for (float value : expected) {
            largest = Math.max(largest, Math.abs(value));
        }
        assertTrue(largest > 0, what + " is not all zero");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5 * Math.max(largest, 1e-3) * Math.sqrt(terms), what + " at " + i);
        }
    }

    @Test
    void embeddingLookupAndConversionDecodeTheRowsAsTheFormatDoes() {
        QuantizedMatrix w = QuantizedMatrix.quantize(BlockFormats.Q4_0, QuantizedTestMatrices.floats(50 * 64,
                new SplittableRandom(5)), 50, 64);
        Tensor table = blocks(w);
        float[] values = w.dequantize();
        assertArrayEquals(values, table.toFloatArray());
        assertArrayEquals(values, table.to(DType.F32).toFloatArray());
        int[] ids = {49, 0, 7, 7};
        float[] rows = F.embedding(table, ids).toFloatArray();
        for (int i = 0; i < ids.length; i++) {
            for (int j = 0; j < 64; j++) {
                assertEquals(values[ids[i] * 64 + j], rows[i * 64 + j], "row " + ids[i] + " element " + j);
            }
        }
    }

    @Test
    void aBlockWeightIsFrozenAndHoldsItsFormatsBytes() {
        QuantizedMatrix w = QuantizedTestMatrices.random(BlockFormats.Q4_K, 3, 512, new SplittableRandom(1));
        Tensor weight = blocks(w);
        assertEquals(DType.Q4_K, weight.dtype());
        assertEquals(3 * 2 * 144, DType.Q4_K.storageBytes(weight.numel()));
        weight.requiresGrad(true);
        Tensor x = Tensor.of(BACKEND, new float[512], 1, 512);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> F.linear(x, weight, null));
        assertTrue(e.getMessage().contains("Q4_K weights are frozen storage"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> weight.to(DType.Q4_0));
    }

    @Test
    void aBackendWithoutTheCapabilityRefusesBlockWeightsInOneLine() {
        QuantizedMatrix w = QuantizedTestMatrices.random(BlockFormats.Q8_0, 2, 32, new SplittableRandom(2));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> Tensor.ofBlocks(new ReferenceBackend(), DType.Q8_0, w.blocks(), 2, 32));
        assertEquals("the reference backend cannot hold Q8_0 weights; use the vector backend or f32 weights", e.getMessage());
    }
}
