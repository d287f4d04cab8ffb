package dev.mixtape.engine.vector;

import dev.mixtape.engine.DType;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Attention of a few query rows ({@link FewQueryAttention}, through {@link VectorBackend#causalAttention})
 * against the composition it replaces in decoding, {@code Backend.matmul} for {@code q·Kᵀ} over the keys
 * the block sees, the masked {@code Backend.softmax}, {@code Backend.matmul} for {@code P·V}, on one
 * thread: on 1, 2 and 3 threads every output is the same bit for bit, for one query per head (split
 * over the heads, and too few keys to split), a GQA group of two heads with two queries each (rows
 * masked differently) and keys read from a slice of a larger cache. A head computed with another
 * head's keys or values, a row softmaxed over the wrong number of keys, or a head left out makes the
 * comparison fail.
 */
class FewQueryAttentionTest {
    @AutoClose
    private static final VectorBackend one = new VectorBackend(1);
    @AutoClose
    private static final VectorBackend two = new VectorBackend(2);
    @AutoClose
    private static final VectorBackend three = new VectorBackend(3);

    @ParameterizedTest(name = "batch={0} kvHeads={1} rows={2} seq={3} offset={4} capacity={5} d={6}")
    @CsvSource({
            "1, 6, 1, 1, 299, 300, 48",
            "1, 6, 1, 1, 4, 5, 48",
            "2, 3, 4, 2, 37, 64, 32",
            "1, 12, 1, 1, 1000, 1024, 64"})
    void everyThreadCountGivesTheComposedProductsResult(int batch, int kvHeads, int rows, int seq, int offset, int capacity, int d) {
        SplittableRandom random = new SplittableRandom(17L * capacity + rows);
        float[] q = randoms(random, batch * kvHeads * rows * d);
        float[] keys = randoms(random, batch * kvHeads * capacity * d);
        float[] values = randoms(random, batch * kvHeads * capacity * d);
        int filled = offset + seq;
        float[] composed = composed(one, batch, kvHeads, rows, seq, offset, capacity, d, q, keys, values);
        for (VectorBackend team : new VectorBackend[] {one, two, three}) {
            Tensor cacheK = Tensor.of(team, keys, batch, kvHeads, capacity, d).slice(2, 0, filled);
            Tensor cacheV = Tensor.of(team, values, batch, kvHeads, capacity, d).slice(2, 0, filled);
            Tensor out = Tensor.zeros(team, DType.F32, batch, kvHeads, rows, d);
            assertTrue(team.causalAttention(Tensor.of(team, q, batch, kvHeads, rows, d), cacheK, cacheV, seq, offset, null, out));
            float[] fused = out.toFloatArray();
            for (int i = 0; i < composed.length; i++) {
                assertEquals(Float.floatToIntBits(composed[i]), Float.floatToIntBits(fused[i]),
                        "output " + i + " on " + team.threads() + " threads");
            }
        }
    }

    /** The blockwise composition of the attention op for one block of rows, on {@code backend}'s own products and softmax. */
    private static float[] composed(VectorBackend backend, int batch, int kvHeads, int rows, int seq, int offset, int capacity, int d,
                                    float[] q, float[] keys, float[] values) {
        int filled = offset + seq;
        Tensor k = Tensor.of(backend, keys, batch, kvHeads, capacity, d).slice(2, 0, filled);
        Tensor v = Tensor.of(backend, values, batch, kvHeads, capacity, d).slice(2, 0, filled);
        Tensor scores = Tensor.zeros(backend, DType.F32, batch, kvHeads, rows, filled);
        backend.matmul(Tensor.of(backend, q, batch, kvHeads, rows, d), false, k, true, scores, false);
        backend.softmax(scores, seq, offset, scores);
        Tensor out = Tensor.zeros(backend, DType.F32, batch, kvHeads, rows, d);
        backend.matmul(scores, false, v, false, out, false);
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
