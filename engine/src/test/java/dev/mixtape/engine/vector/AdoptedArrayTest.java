package dev.mixtape.engine.vector;

import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.reference.ReferenceBackend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * {@link Tensor#adopting}: the Vector backend keeps the very array it is handed (a later write to it
 * shows in the tensor, which a copy would hide), and a backend without its own {@code adopt} copies it,
 * as {@link Tensor#of} does.
 */
class AdoptedArrayTest {
    @Test
    void theVectorBackendKeepsTheArrayItself() {
        try (VectorBackend backend = new VectorBackend(1)) {
            float[] values = {1, 2, 3, 4, 5, 6};
            Tensor weight = Tensor.adopting(backend, values, 2, 3);
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, weight.toFloatArray());
            values[4] = 50;
            assertArrayEquals(new float[] {1, 2, 3, 4, 50, 6}, weight.toFloatArray());
        }
    }

    @Test
    void anotherBackendCopiesIt() {
        float[] values = {1, 2, 3, 4};
        Tensor weight = Tensor.adopting(new ReferenceBackend(), values, 4);
        values[0] = 10;
        assertArrayEquals(new float[] {1, 2, 3, 4}, weight.toFloatArray());
    }
}
