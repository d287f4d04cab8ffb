package dev.mixtape.engine.nn;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RMSNormTest {
    private static final Backend BACKEND = Backends.defaultBackend();

    @Test
    void weightStartsAtOnes() {
        RMSNorm norm = new RMSNorm(BACKEND, 3, 1e-6);
        assertArrayEquals(new float[] {1, 1, 1}, norm.weight().toFloatArray());
        assertEquals(1e-6, norm.eps());
    }

    @Test
    void forwardDividesEachRowByItsRootMeanSquareAndScales() {
        double eps = 1e-5;
        RMSNorm norm = new RMSNorm(BACKEND, 2, eps);
        norm.weight().assign(Tensor.of(BACKEND, new float[] {2, 0.5f}, 2));
        float[] x = {3, 4, -1, 1};
        float[] y = norm.forward(Tensor.of(BACKEND, x, 2, 2)).toFloatArray();
        // row [3, 4]: mean square (9 + 16)/2 = 12.5; row [−1, 1]: (1 + 1)/2 = 1
        double r0 = Math.sqrt(12.5 + eps);
        double r1 = Math.sqrt(1 + eps);
        double[] expected = {2 * 3 / r0, 0.5 * 4 / r0, 2 * -1 / r1, 0.5 * 1 / r1};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], y[i], 1e-6 * Math.abs(expected[i]), "element " + i);
        }
    }

    @Test
    void argumentsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new RMSNorm(BACKEND, 0, 1e-5));
        assertThrows(IllegalArgumentException.class, () -> new RMSNorm(BACKEND, 4, 0));
        RMSNorm norm = new RMSNorm(BACKEND, 4, 1e-5);
        assertThrows(IllegalArgumentException.class, () -> norm.forward(Tensor.of(BACKEND, new float[] {1, 2, 3}, 1, 3)));
    }
}
