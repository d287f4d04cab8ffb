package dev.mixtape.engine.nn;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EmbeddingTest {
    private static final Backend BACKEND = Backends.defaultBackend();

    @Test
    void initialisationIsStandardNormalFromTheGivenRng() {
        Embedding embedding = new Embedding(BACKEND, 6, 4, new Rng(11));
        assertArrayEquals(new int[] {6, 4}, embedding.weight().shape());
        assertArrayEquals(new Rng(11).normal(24, 0, 1), embedding.weight().toFloatArray());
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
