package dev.mixtape.engine.vector;

import dev.mixtape.engine.BatchInvariantProducts;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.F;
import dev.mixtape.engine.Grad;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.quant.BlockFormats;
import dev.mixtape.engine.quant.QuantizedMatrix;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Inside {@link BatchInvariantProducts}, a product of 16 rows gives every row bit for bit what the
 * row gets in a product of its own: a linear layer with f32, bf16 and Q8_0 weights, and a linear
 * layer with a low-rank term (LoRA's fused op). The control: outside the scope the same 16-row product
 * takes the blocked GEMM and some row differs from its one-row product, so the scope is what makes
 * the rows agree (a backend that ignored the scope fails here).
 */
class BatchInvariantProductsTest {
    private static final int ROWS = 16;
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
    void everyRowOfALinearLayerEqualsItsOwnProduct() {
        Random random = new Random(5);
        Tensor x = random(random, ROWS, 288);
        Tensor w = random(random, 200, 288);
        assertRowsMatchAlone(x, rows -> F.linear(rows, w, null), true);
        assertRowsMatchAlone(x, rows -> F.linear(rows, w.to(DType.BF16), null), true);
        QuantizedMatrix q8 = QuantizedMatrix.quantize(BlockFormats.Q8_0, w.toFloatArray(), 200, 288);
        Tensor blocks = Tensor.ofBlocks(backend, DType.Q8_0, q8.blocks(), q8.rows(), q8.cols());
        assertRowsMatchAlone(x, rows -> F.linear(rows, blocks, null), true);
    }

    @Test
    void everyRowOfALowRankLinearLayerEqualsItsOwnProduct() {
        Random random = new Random(6);
        Tensor x = random(random, ROWS, 96);
        Tensor w = random(random, 72, 96);
        Tensor down = random(random, 8, 96);
        Tensor up = random(random, 72, 8);
        assertRowsMatchAlone(x, rows -> F.lowRankLinear(rows, w, rows, down, up, 0.5), true);
    }

    @Test
    void outsideTheScopeTheBlockedProductRoundsRowsDifferently() {
        Random random = new Random(5);
        Tensor x = random(random, ROWS, 288);
        Tensor w = random(random, 200, 288);
        assertRowsMatchAlone(x, rows -> F.linear(rows, w, null), false);
    }

    @Test
    void aScopeOfNoRowsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> BatchInvariantProducts.run(0, () -> 1));
    }

    /** Compares each row of {@code layer(x)}, computed in the scope or not, with {@code layer} of that row alone. */
    private static void assertRowsMatchAlone(Tensor x, Function<Tensor, Tensor> layer, boolean inScope) {
        try (var scope = Grad.off()) {
            float[] together = (inScope ? BatchInvariantProducts.run(ROWS, () -> layer.apply(x)) : layer.apply(x)).toFloatArray();
            int width = together.length / ROWS;
            boolean allEqual = true;
            for (int r = 0; r < ROWS; r++) {
                float[] alone = layer.apply(x.slice(0, r, r + 1).contiguous()).toFloatArray();
                for (int j = 0; j < width; j++) {
                    boolean equal = Float.floatToIntBits(alone[j]) == Float.floatToIntBits(together[r * width + j]);
                    if (inScope) {
                        assertEquals(Float.floatToIntBits(alone[j]), Float.floatToIntBits(together[r * width + j]), "row " + r + ", column " + j);
                    }
                    allEqual &= equal;
                }
            }
            if (!inScope) {
                assertFalse(allEqual, "the blocked product gave every row its one-row floats: the control shows nothing");
            }
        }
    }

    private static Tensor random(Random random, int... shape) {
        float[] values = new float[shape[0] * shape[1]];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return Tensor.of(backend, values, shape);
    }
}
