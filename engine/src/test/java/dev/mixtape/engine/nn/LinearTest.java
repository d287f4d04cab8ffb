package dev.mixtape.engine.nn;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Linear: y = x·Wᵀ + b by hand, its gradients, its initial distribution, unloaded parameters and size checks. */
class LinearTest {
    private static final Backend BACKEND = Backends.defaultBackend();

    /** A 2 → 3 layer with W = [[1, 0], [0, 1], [1, 1]] and b = [0.5, −1, 2]. */
    private static Linear handMadeLayer() {
        Linear linear = new Linear(BACKEND, 2, 3, true, new Rng(0));
        linear.weight().assign(Tensor.of(BACKEND, new float[] {1, 0, 0, 1, 1, 1}, 3, 2));
        linear.bias().assign(Tensor.of(BACKEND, new float[] {0.5f, -1, 2}, 3));
        return linear;
    }

    /** Built without an Rng (for a loader), a layer refuses to compute until its parameters are set. */
    @Test
    void unloadedParametersAreRefusedUntilSet() {
        Linear linear = new Linear(BACKEND, 2, 3, true, null);
        assertArrayEquals(new int[] {3, 2}, linear.namedParameters().get("weight").shape());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> linear.forward(Tensor.of(BACKEND, new float[] {1, 2}, 1, 2)));
        assertTrue(e.getMessage().contains("'weight' was never loaded"), e.getMessage());
        linear.setParameter("weight", Tensor.of(BACKEND, new float[] {1, 0, 0, 1, 1, 1}, 3, 2));
        linear.setParameter("bias", Tensor.of(BACKEND, new float[] {0.5f, -1, 2}, 3));
        assertArrayEquals(new float[] {1.5f, 1, 5}, linear.forward(Tensor.of(BACKEND, new float[] {1, 2}, 1, 2)).toFloatArray());
    }

    @Test
    void forwardIsXTimesWTransposedPlusBias() {
        Tensor x = Tensor.of(BACKEND, new float[] {1, 2, 3, 4}, 2, 2);
        // row [1, 2]: W·x = [1, 2, 1+2] = [1, 2, 3]; + b = [1.5, 1, 5]
        // row [3, 4]: W·x = [3, 4, 3+4] = [3, 4, 7]; + b = [3.5, 3, 9]
        Tensor y = handMadeLayer().forward(x);
        assertArrayEquals(new int[] {2, 3}, y.shape());
        assertArrayEquals(new float[] {1.5f, 1, 5, 3.5f, 3, 9}, y.toFloatArray());
    }

    @Test
    void forwardKeepsLeadingDimensions() {
        Tensor x = Tensor.of(BACKEND, new float[] {1, 2, 3, 4}, 2, 1, 2);
        Tensor y = handMadeLayer().forward(x);
        assertArrayEquals(new int[] {2, 1, 3}, y.shape());
        assertArrayEquals(new float[] {1.5f, 1, 5, 3.5f, 3, 9}, y.toFloatArray());
    }

    @Test
    void gradientsOfTheSumAreColumnSumsOfXAndTheRowCount() {
        Linear linear = handMadeLayer();
        Tensor x = Tensor.of(BACKEND, new float[] {1, 2, 3, 4}, 2, 2);
        linear.forward(x).sum().backward();
        // d(sum y)/dW[o, i] = Σ_n x[n, i] = [1+3, 2+4] = [4, 6] for every output o; d/db[o] = 2 rows.
        assertArrayEquals(new float[] {4, 6, 4, 6, 4, 6}, linear.weight().grad().toFloatArray());
        assertArrayEquals(new float[] {2, 2, 2}, linear.bias().grad().toFloatArray());
    }

    /**
     * The initial weight and bias are PyTorch's {@code kaiming_uniform_(a=√5)}, U(−1/√in, 1/√in), checked
     * by their statistics rather than against the generator that drew them: with in = 64 every value
     * lies within 1/8, the 16,384 weights reach beyond 0.99 of it on both sides and the 256 biases beyond 0.9, their mean is within
     * 0.003 of 0 and their variance within 5% of bound²/3. A bound from the wrong gain (a = 0 gives
     * √6/√in), the wrong fan (1/√out, 1/in) or a normal draw fails it. The same seed gives the same layer.
     */
    @Test
    void initialisationIsPyTorchsUniformWithBoundOneOverSqrtFanIn() {
        int in = 64;
        int out = 256;
        double bound = 1.0 / 8;
        Linear linear = new Linear(BACKEND, in, out, true, new Rng(42));
        assertArrayEquals(new int[] {out, in}, linear.weight().shape());
        assertArrayEquals(new int[] {out}, linear.bias().shape());
        float[] weights = linear.weight().toFloatArray();
        double sum = 0;
        double squares = 0;
        double low = 0;
        double high = 0;
        for (float w : weights) {
            sum += w;
            squares += (double) w * w;
            low = Math.min(low, w);
            high = Math.max(high, w);
        }
        assertTrue(low >= -bound && high <= bound, "weights within ±1/8: " + low + " .. " + high);
        assertTrue(low < -0.99 * bound && high > 0.99 * bound, "weights fill ±1/8: " + low + " .. " + high);
        double mean = sum / weights.length;
        assertEquals(0, mean, 0.003, "mean");
        assertEquals(bound * bound / 3, squares / weights.length - mean * mean, 0.05 * bound * bound / 3, "variance");
        float[] bias = linear.bias().toFloatArray();
        float lowBias = 0;
        float highBias = 0;
        for (float b : bias) {
            lowBias = Math.min(lowBias, b);
            highBias = Math.max(highBias, b);
        }
        assertTrue(lowBias >= -bound && highBias <= bound, "bias within ±1/8: " + lowBias + " .. " + highBias);
        assertTrue(lowBias < -0.9 * bound && highBias > 0.9 * bound, "bias fills ±1/8: " + lowBias + " .. " + highBias);
        Linear again = new Linear(BACKEND, in, out, true, new Rng(42));
        assertArrayEquals(weights, again.weight().toFloatArray());
        assertArrayEquals(bias, again.bias().toFloatArray());
    }

    @Test
    void withoutBiasThereIsOnlyAWeight() {
        Linear linear = new Linear(BACKEND, 2, 3, false, new Rng(1));
        assertNull(linear.bias());
        assertEquals(List.of("weight"), List.copyOf(linear.namedParameters().keySet()));
        linear.weight().assign(Tensor.of(BACKEND, new float[] {1, 0, 0, 1, 1, 1}, 3, 2));
        assertArrayEquals(new float[] {1, 2, 3}, linear.forward(Tensor.of(BACKEND, new float[] {1, 2}, 1, 2)).toFloatArray());
    }

    @Test
    void aWrongInputSizeNamesBothSizes() {
        Linear linear = new Linear(BACKEND, 2, 3, true, new Rng(1));
        var e = assertThrows(IllegalArgumentException.class,
                () -> linear.forward(Tensor.of(BACKEND, new float[] {1, 2, 3}, 1, 3)));
        assertEquals("Linear(2 -> 3) expects input [..., 2], got [1, 3]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Linear(BACKEND, 0, 3, true, new Rng(1)));
    }
}
