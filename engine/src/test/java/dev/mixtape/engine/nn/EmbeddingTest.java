package dev.mixtape.engine.nn;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Embedding: its initial distribution, the gather forward and the scatter-add backward. */
class EmbeddingTest {
    private static final Backend BACKEND = Backends.defaultBackend();

    /**
     * The initial weights are N(0, 1) (PyTorch's {@code nn.Embedding}), checked by their statistics
     * rather than against the generator that drew them: 10,000 draws give a mean within 0.04 of 0, a
     * standard deviation within 0.03 of 1 and 68.3% ± 2% of the values within one unit, which a
     * uniform draw of the same variance (57.7%) or a scaled normal (N(0, 0.02²), say) fails. The same
     * seed gives the same weights, another seed others.
     */
    @Test
    void initialisationIsStandardNormalFromTheGivenRng() {
        Embedding embedding = new Embedding(BACKEND, 100, 100, new Rng(11));
        assertArrayEquals(new int[] {100, 100}, embedding.weight().shape());
        float[] weights = embedding.weight().toFloatArray();
        double sum = 0;
        double squares = 0;
        int withinOne = 0;
        for (float w : weights) {
            sum += w;
            squares += (double) w * w;
            withinOne += Math.abs(w) < 1 ? 1 : 0;
        }
        double mean = sum / weights.length;
        assertEquals(0, mean, 0.04, "mean");
        assertEquals(1, Math.sqrt(squares / weights.length - mean * mean), 0.03, "standard deviation");
        assertEquals(0.6827, (double) withinOne / weights.length, 0.02, "share within one standard deviation");
        assertArrayEquals(weights, new Embedding(BACKEND, 100, 100, new Rng(11)).weight().toFloatArray());
        assertFalse(Arrays.equals(weights, new Embedding(BACKEND, 100, 100, new Rng(12)).weight().toFloatArray()));
    }

    @Test
    void forwardGathersRowsAndBackwardAddsIntoThem() {
        Embedding embedding = new Embedding(BACKEND, 3, 2, new Rng(12));
        embedding.weight().assign(Tensor.of(BACKEND, new float[] {0, 1, 10, 11, 20, 21}, 3, 2));
        Tensor rows = embedding.forward(new int[] {2, 0, 2});
        assertArrayEquals(new int[] {3, 2}, rows.shape());
        assertArrayEquals(new float[] {20, 21, 0, 1, 20, 21}, rows.toFloatArray());

        rows.sum().backward();
        // each use of a row adds ones: row 0 once, row 1 never, row 2 twice
        assertArrayEquals(new float[] {1, 1, 0, 0, 2, 2}, embedding.weight().grad().toFloatArray());
    }

    @Test
    void sizesMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new Embedding(BACKEND, 0, 4, new Rng(1)));
        assertThrows(IllegalArgumentException.class, () -> new Embedding(BACKEND, 4, -1, new Rng(1)));
    }
}
