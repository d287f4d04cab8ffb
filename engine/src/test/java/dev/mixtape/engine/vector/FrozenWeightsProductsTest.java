package dev.mixtape.engine.vector;

import dev.mixtape.engine.BatchInvariantProducts;
import dev.mixtape.engine.F;
import dev.mixtape.engine.FrozenWeights;
import dev.mixtape.engine.Grad;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * Inside {@link BatchInvariantProducts} with {@link FrozenWeights}, products of four rows or more
 * take the panel kernel ({@link SimdPanelGemv}) for the named weights, and every row still gets bit
 * for bit the floats of its own one-row product: row counts that fill the kernel's blocks of four
 * and ones that leave a remainder, k with and without a scalar tail, output columns that leave part
 * of a panel (and column ranges split between two threads, in whole panels). A
 * kernel that summed any output in another order (lane chains in another order, the tail outside lane
 * 0, another fold) fails here; the probe of the cache shows the panels were made, so the comparison
 * is of the panel kernel and not of the row-pair kernel it falls back to. A weight that is not named
 * is never copied: changed in place, its next product uses the new values.
 */
class FrozenWeightsProductsTest {
    private static VectorBackend backend;

    @BeforeAll
    static void start() {
        backend = new VectorBackend(2);
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    @Test
    void everyRowOfAProductOnFrozenWeightsEqualsItsOwnProduct() {
        Random random = new Random(11);
        int lanes = VectorWidth.FLOATS.length();
        for (int k : new int[] {288, 8 * lanes + 3, 4 * lanes}) {
            for (int n : new int[] {200, 2 * lanes, 37, 6 * lanes + 5}) {
                Tensor w = random(random, n, k);
                FrozenWeights frozen = new FrozenWeights(List.of(w));
                for (int rows : new int[] {4, 5, 7, 16, 64}) {
                    Tensor x = random(random, rows, k);
                    assertRowsMatchAlone(x, w, frozen, "k " + k + ", n " + n + ", rows " + rows);
                }
                assertInstanceOf(SimdPanelGemv.Panels.class, frozen.copyOf(array(w), () -> "no copy"),
                        "the panel kernel never ran for k " + k + ", n " + n);
            }
        }
    }

    @Test
    void aWeightThatIsNotNamedIsReadAfreshEveryProduct() {
        Random random = new Random(12);
        Tensor named = random(random, 64, 288);
        Tensor other = random(random, 64, 288);
        FrozenWeights frozen = new FrozenWeights(List.of(named));
        Tensor x = random(random, 8, 288);
        assertRowsMatchAlone(x, other, frozen, "before the change");
        float[] values = array(other);
        for (int i = 0; i < values.length; i++) {
            values[i] = -values[i] * 0.5f;
        }
        assertRowsMatchAlone(x, other, frozen, "after the change");
    }

    /** Each row of {@code x·wᵀ} in the scope against that row's product alone, bit for bit. */
    private static void assertRowsMatchAlone(Tensor x, Tensor w, FrozenWeights frozen, String what) {
        try (var scope = Grad.off()) {
            int rows = x.dim(0);
            float[] together = BatchInvariantProducts.run(rows, frozen, () -> F.linear(x, w, null)).toFloatArray();
            int width = together.length / rows;
            for (int r = 0; r < rows; r++) {
                Tensor row = x.slice(0, r, r + 1).contiguous();
                float[] alone = F.linear(row, w, null).toFloatArray();
                for (int j = 0; j < width; j++) {
                    assertEquals(Float.floatToIntBits(alone[j]), Float.floatToIntBits(together[r * width + j]),
                            what + ": row " + r + ", column " + j);
                }
            }
        }
    }

    private static float[] array(Tensor t) {
        return ((HeapStorage) t.storage()).data();
    }

    private static Tensor random(Random random, int... shape) {
        float[] values = new float[shape[0] * shape[1]];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return Tensor.of(backend, values, shape);
    }
}
