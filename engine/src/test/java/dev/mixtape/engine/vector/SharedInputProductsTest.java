package dev.mixtape.engine.vector;

import dev.mixtape.engine.DType;
import dev.mixtape.engine.F;
import dev.mixtape.engine.Grad;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.quant.BlockFormats;
import dev.mixtape.engine.quant.QuantizedMatrix;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * {@link VectorBackend#productsSharingInput}, several products of one input run as one job: on 1, 2
 * and 3 threads every output equals, bit for bit, the product of its weight alone through
 * {@link VectorBackend#matmul} on one thread, for weight sizes whose chunks cross from one weight into
 * the next at odd columns, with f32 weights, bf16 weights and block-format weights (several formats in
 * one job). A chunk that computes a column with the wrong weight, writes it into the wrong output or
 * at the wrong place, or leaves one unwritten, makes the comparison fail. Operands the few-rows
 * kernels do not take (too many rows, weights of two kinds mixed) are declined (null), and
 * {@link F#linears} then still gives {@link F#linear}'s values.
 */
class SharedInputProductsTest {
    @AutoClose
    private static final VectorBackend one = new VectorBackend(1);
    @AutoClose
    private static final VectorBackend two = new VectorBackend(2);
    @AutoClose
    private static final VectorBackend three = new VectorBackend(3);

    @ParameterizedTest(name = "m={0} k={1} n={2}")
    @CsvSource({
            "1, 288, '288,288,288'",
            "1, 288, '768,768'",
            "1, 96, '13,250,7,1001'",
            "3, 64, '301,5,1200'",
            "4, 200, '0,999,1'"})
    void everyOutputIsItsProductAloneOnEveryThreadCount(int m, int k, String columns) {
        int[] ns = Arrays.stream(columns.split(",")).mapToInt(Integer::parseInt).toArray();
        SplittableRandom random = new SplittableRandom(31L * k + m + ns.length);
        float[] x = randoms(random, m * k);
        float[][] weights = Arrays.stream(ns).mapToObj(n -> randoms(random, n * k)).toArray(float[][]::new);
        for (VectorBackend team : new VectorBackend[] {one, two, three}) {
            Tensor input = Tensor.of(team, x, 1, m, k);
            Tensor[] ws = new Tensor[ns.length];
            for (int i = 0; i < ns.length; i++) {
                ws[i] = Tensor.of(team, weights[i], ns[i], k);
            }
            Tensor[] outs = team.productsSharingInput(input, ws);
            assertNotNull(outs, "declined on " + team.threads() + " threads");
            for (int i = 0; i < ns.length; i++) {
                assertArrayEquals(new int[] {1, m, ns[i]}, outs[i].shape());
                float[] alone = alone(x, weights[i], m, ns[i], k);
                float[] together = outs[i].toFloatArray();
                for (int cell = 0; cell < alone.length; cell++) {
                    assertEquals(Float.floatToIntBits(alone[cell]), Float.floatToIntBits(together[cell]),
                            "weight " + i + ", output " + cell + " on " + team.threads() + " threads");
                }
            }
        }
    }

    @Test
    void moreRowsThanTheFewRowsKernelsTakeAreDeclinedAndLinearsStillGivesLinearsValues() {
        SplittableRandom random = new SplittableRandom(7);
        int m = 40;
        int k = 32;
        Tensor x = Tensor.of(two, randoms(random, m * k), m, k);
        Tensor first = Tensor.of(two, randoms(random, 24 * k), 24, k);
        Tensor second = Tensor.of(two, randoms(random, 8 * k), 8, k);
        assertNull(two.productsSharingInput(x, new Tensor[] {first, second}));
        try (var scope = Grad.off()) {
            Tensor[] outs = F.linears(x, first, second);
            assertArrayEquals(F.linear(x, first, null).toFloatArray(), outs[0].toFloatArray());
            assertArrayEquals(F.linear(x, second, null).toFloatArray(), outs[1].toFloatArray());
        }
    }

    @Test
    void bf16WeightsGiveTheirProductsAloneAndMixedWithF32AreDeclined() {
        SplittableRandom random = new SplittableRandom(11);
        int k = 96;
        float[] x = randoms(random, k);
        float[] first = randoms(random, 301 * k);
        float[] second = randoms(random, 45 * k);
        for (VectorBackend team : new VectorBackend[] {one, two, three}) {
            Tensor input = Tensor.of(team, x, 1, k);
            Tensor[] bf16 = {Tensor.of(team, first, 301, k).to(DType.BF16), Tensor.of(team, second, 45, k).to(DType.BF16)};
            Tensor[] outs = team.productsSharingInput(input, bf16);
            assertNotNull(outs, "declined on " + team.threads() + " threads");
            for (int i = 0; i < bf16.length; i++) {
                Tensor alone = Tensor.zeros(one, DType.F32, 1, bf16[i].dim(0));
                one.matmul(Tensor.of(one, x, 1, k), false, bf16[i].to(one), true, alone, false);
                float[] expected = alone.toFloatArray();
                float[] together = outs[i].toFloatArray();
                for (int cell = 0; cell < expected.length; cell++) {
                    assertEquals(Float.floatToIntBits(expected[cell]), Float.floatToIntBits(together[cell]),
                            "bf16 weight " + i + ", output " + cell + " on " + team.threads() + " threads");
                }
            }
            Tensor f32 = Tensor.of(team, second, 45, k);
            assertNull(team.productsSharingInput(input, new Tensor[] {bf16[0], f32}));
        }
    }

    /**
     * Block-format weights, one format per weight as a Q4_K_M file mixes them (the Q8_0, Q4_0, Q4_K
     * and Q6_K kernels, and Q5_1's plain loops), at row counts whose chunks cross weights at odd rows.
     */
    @ParameterizedTest(name = "m={0} formats={1} rows={2}")
    @CsvSource({
            "1, 'Q8_0,Q8_0,Q8_0', '256,256,256'",
            "1, 'Q4_K,Q4_K,Q6_K', '301,45,1203'",
            "2, 'Q4_0,Q5_1', '767,13'"})
    void blockFormatWeightsGiveTheirProductsAlone(int m, String formats, String rows) {
        String[] names = formats.split(",");
        int[] ns = Arrays.stream(rows.split(",")).mapToInt(Integer::parseInt).toArray();
        int k = 512;
        SplittableRandom random = new SplittableRandom(17L * m + ns[0]);
        float[] x = randoms(random, m * k);
        QuantizedMatrix[] matrices = new QuantizedMatrix[names.length];
        for (int i = 0; i < names.length; i++) {
            matrices[i] = QuantizedTestMatrices.random(BlockFormats.named(names[i]), ns[i], k, random);
        }
        for (VectorBackend team : new VectorBackend[] {one, two, three}) {
            Tensor[] ws = new Tensor[names.length];
            for (int i = 0; i < names.length; i++) {
                ws[i] = Tensor.ofBlocks(team, DType.valueOf(names[i]), matrices[i].blocks(), ns[i], k);
            }
            Tensor[] outs = team.productsSharingInput(Tensor.of(team, x, m, k), ws);
            assertNotNull(outs, "declined on " + team.threads() + " threads");
            for (int i = 0; i < names.length; i++) {
                Tensor alone = Tensor.zeros(one, DType.F32, m, ns[i]);
                one.matmul(Tensor.of(one, x, m, k), false, Tensor.ofBlocks(one, DType.valueOf(names[i]), matrices[i].blocks(), ns[i], k),
                        true, alone, false);
                float[] expected = alone.toFloatArray();
                float[] together = outs[i].toFloatArray();
                for (int cell = 0; cell < expected.length; cell++) {
                    assertEquals(Float.floatToIntBits(expected[cell]), Float.floatToIntBits(together[cell]),
                            names[i] + " weight " + i + ", output " + cell + " on " + team.threads() + " threads");
                }
            }
            Tensor f32 = Tensor.of(team, randoms(random, 8 * k), 8, k);
            assertNull(team.productsSharingInput(Tensor.of(team, x, m, k), new Tensor[] {ws[0], f32}), "blocks and f32 mixed");
        }
    }

    /** {@code x [m, k] · wᵀ} for {@code w [n, k]} through the backend's own matmul on one thread. */
    private static float[] alone(float[] x, float[] w, int m, int n, int k) {
        Tensor out = Tensor.zeros(one, DType.F32, m, n);
        one.matmul(Tensor.of(one, x, m, k), false, Tensor.of(one, w, n, k), true, out, false);
        return out.toFloatArray();
    }

    private static float[] randoms(SplittableRandom random, int size) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }
}
