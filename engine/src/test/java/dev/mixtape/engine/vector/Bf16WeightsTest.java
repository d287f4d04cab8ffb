package dev.mixtape.engine.vector;

import dev.mixtape.engine.DType;
import dev.mixtape.engine.F;
import dev.mixtape.engine.Grad;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Frozen weights kept in bf16 on the Vector backend: every op that reads a weight gives what it gives
 * on the same weight rounded to bf16 and held in f32, and every other op refuses a bf16 tensor by name.
 */
class Bf16WeightsTest {
    @AutoClose
    private static final VectorBackend backend = new VectorBackend(2);

    private static Tensor random(Random random, int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return Tensor.of(backend, values, shape);
    }

    @Test
    void narrowingRoundsToNearestEvenAndWideningIsExact() {
        Tensor w = random(new Random(1), 7, 9);
        Tensor narrow = w.to(DType.BF16);
        assertEquals(DType.BF16, narrow.dtype());
        float[] original = w.toFloatArray();
        float[] widened = narrow.toFloatArray();
        for (int i = 0; i < original.length; i++) {
            assertEquals(DType.bf16ToFloat(DType.floatToBf16(original[i])), widened[i], 0f, "element " + i);
        }
        assertArrayEquals(widened, narrow.to(DType.F32).toFloatArray());
    }

    /**
     * Rows 1–4 take the bf16 matrix-vector kernel (k with and without a tail beyond whole vector
     * pairs, n not a multiple of 4); 37 rows widen the weight for the blocked GEMM, which must then
     * equal the f32 product exactly.
     */
    @ParameterizedTest(name = "rows={0} in={1} out={2}")
    @CsvSource({"1, 288, 13", "1, 37, 45", "3, 64, 9", "4, 5, 6", "37, 45, 13"})
    void linearMatchesTheRoundedF32Weight(int rows, int in, int out) {
        Random random = new Random(rows * 100L + in);
        Tensor x = random(random, rows, in);
        Tensor bf16 = random(random, out, in).to(DType.BF16);
        Tensor rounded = bf16.to(DType.F32);
        float[] expected;
        float[] actual;
        try (var scope = Grad.off()) {
            expected = F.linear(x, rounded, null).toFloatArray();
            actual = F.linear(x, bf16, null).toFloatArray();
        }
        if (rows > 4) {
            assertArrayEquals(expected, actual);
        } else {
            double[] reference = reference(x.toFloatArray(), rounded.toFloatArray(), rows, in, out);
            for (int i = 0; i < actual.length; i++) {
                assertEquals(reference[i], actual[i], 1e-5 * (1 + Math.abs(reference[i])), "output " + i);
            }
        }
    }

    private static double[] reference(float[] x, float[] w, int rows, int in, int out) {
        double[] y = new double[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double sum = 0;
                for (int p = 0; p < in; p++) {
                    sum += (double) x[r * in + p] * w[o * in + p];
                }
                y[r * out + o] = sum;
            }
        }
        return y;
    }

    /** The input gradient through a frozen bf16 weight ({@code dY·W}, B not transposed) on both paths. */
    @ParameterizedTest(name = "rows={0}")
    @CsvSource({"2", "11"})
    void inputGradientsMatchTheRoundedF32Weight(int rows) {
        Random random = new Random(rows);
        Tensor x = random(random, rows, 21).requiresGrad(true);
        Tensor xF32 = x.copy().requiresGrad(true);
        Tensor bf16 = random(random, 19, 21).to(DType.BF16);
        F.linear(x, bf16, null).sum().backward();
        F.linear(xF32, bf16.to(DType.F32), null).sum().backward();
        float[] expected = xF32.grad().toFloatArray();
        float[] actual = x.grad().toFloatArray();
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5 * (1 + Math.abs(expected[i])), "gradient " + i);
        }
    }

    @Test
    void embeddingAndFusedHeadReadBf16Exactly() {
        Random random = new Random(3);
        Tensor table = random(random, 30, 8).to(DType.BF16);
        Tensor rounded = table.to(DType.F32);
        int[] ids = {4, 0, 29, 4};
        assertArrayEquals(F.embedding(rounded, ids).toFloatArray(), F.embedding(table, ids).toFloatArray());
        Tensor hidden = random(random, 4, 8);
        int[] targets = {1, 7, -100, 29};
        assertEquals(F.linearCrossEntropy(hidden, rounded, targets, -100).item(),
                F.linearCrossEntropy(hidden, table, targets, -100).item(), 0);
    }

    @Test
    void bf16WeightsAreFrozenAndOtherOpsRefuseThem() {
        Tensor bf16 = random(new Random(4), 3, 3).to(DType.BF16);
        Tensor x = random(new Random(5), 2, 3);
        IllegalArgumentException trained = assertThrows(IllegalArgumentException.class,
                () -> F.linear(x, bf16.requiresGrad(true), null));
        assertTrue(trained.getMessage().contains("frozen"), trained.getMessage());
        IllegalArgumentException looked = assertThrows(IllegalArgumentException.class, () -> F.embedding(bf16, new int[] {0}));
        assertTrue(looked.getMessage().contains("frozen"), looked.getMessage());
        bf16.requiresGrad(false);
        IllegalArgumentException added = assertThrows(IllegalArgumentException.class, () -> bf16.add(bf16));
        assertTrue(added.getMessage().contains("BF16"), added.getMessage());
        IllegalArgumentException viewed = assertThrows(IllegalArgumentException.class, () -> bf16.transpose(0, 1).to(DType.F32));
        assertTrue(viewed.getMessage().contains("whole weight matrices"), viewed.getMessage());
    }

    @Test
    void anF32ViewNarrowsLikeItsContiguousCopy() {
        Tensor w = random(new Random(7), 5, 6);
        assertArrayEquals(w.transpose(0, 1).contiguous().to(DType.BF16).toFloatArray(), w.transpose(0, 1).to(DType.BF16).toFloatArray());
    }

    /**
     * The SIMD kernel reads a whole range of columns as four streams and a range of three one row at
     * a time; every column must come out bit-identical either way, as it must whatever columns a
     * thread is given.
     */
    @ParameterizedTest(name = "m={0} k={1}")
    @CsvSource({"1, 288", "2, 768", "1, 53"})
    void simdColumnsDoNotDependOnTheSplit(int m, int k) {
        Random random = new Random(k);
        int n = 39;
        float[] a = gaussians(random, m * k);
        short[] b = bf16Gaussians(random, n * k);
        Bf16Gemv vector = new SimdBf16Gemv();
        float[] prepared = vector.prepare(m, k, a, 0, k);
        float[] whole = new float[m * n];
        float[] pieces = new float[m * n];
        vector.rowsTimesTransposed(m, k, prepared, b, 0, k, whole, 0, n, false, 0, n);
        for (int from = 0; from < n; from += 3) {
            vector.rowsTimesTransposed(m, k, prepared, b, 0, k, pieces, 0, n, false, from, Math.min(n, from + 3));
        }
        for (int i = 0; i < whole.length; i++) {
            assertEquals(Float.floatToIntBits(whole[i]), Float.floatToIntBits(pieces[i]), "output " + i);
        }
    }

    @Test
    void scalarKernelsAgreeWithTheSimdOnes() {
        Random random = new Random(6);
        int m = 3;
        int k = 53;
        int n = 10;
        float[] a = gaussians(random, m * k);
        short[] b = bf16Gaussians(random, n * k);
        float[] simd = new float[m * n];
        float[] scalar = new float[m * n];
        Bf16Gemv vector = new SimdBf16Gemv();
        Bf16Gemv loops = new ScalarBf16Gemv();
        vector.rowsTimesTransposed(m, k, vector.prepare(m, k, a, 0, k), b, 0, k, simd, 0, n, false, 0, n);
        loops.rowsTimesTransposed(m, k, loops.prepare(m, k, a, 0, k), b, 0, k, scalar, 0, n, false, 0, n);
        for (int i = 0; i < simd.length; i++) {
            assertEquals(scalar[i], simd[i], 1e-4 * (1 + Math.abs(scalar[i])), "output " + i);
        }
    }

    private static float[] gaussians(Random random, int size) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    private static short[] bf16Gaussians(Random random, int size) {
        short[] values = new short[size];
        for (int i = 0; i < size; i++) {
            values[i] = DType.floatToBf16((float) random.nextGaussian());
        }
        return values;
    }
}
