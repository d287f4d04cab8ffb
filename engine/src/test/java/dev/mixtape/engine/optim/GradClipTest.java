package dev.mixtape.engine.optim;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class GradClipTest {
    private static final Backend BACKEND = Backends.defaultBackend();

    /** a has gradient [3, 4], b has [12], c has none: the global norm is sqrt(9 + 16 + 144) = sqrt(169) = 13. */
    private static List<Tensor> params() {
        Tensor a = Tensor.zeros(BACKEND, DType.F32, 2).requiresGrad(true);
        Tensor b = Tensor.zeros(BACKEND, DType.F32, 1, 1).requiresGrad(true);
        Tensor c = Tensor.zeros(BACKEND, DType.F32, 3).requiresGrad(true);
        TestGradients.set(a, new float[] {3, 4});
        TestGradients.set(b, new float[] {12});
        return List.of(a, b, c);
    }

    @Test
    void scalesEveryGradientWhenTheNormExceedsTheLimit() {
        List<Tensor> p = params();
        double norm = GradClip.clipGlobalNorm(p, 6.5);
        assertEquals(13.0, norm);
        double scale = 6.5 / (13.0 + 1e-6);
        float[] a = p.get(0).grad().toFloatArray();
        float[] b = p.get(1).grad().toFloatArray();
        assertEquals(3 * scale, a[0], 1e-6);
        assertEquals(4 * scale, a[1], 1e-6);
        assertEquals(12 * scale, b[0], 1e-6);
        assertNull(p.get(2).grad());
        double clippedNorm = Math.sqrt(a[0] * (double) a[0] + a[1] * (double) a[1] + b[0] * (double) b[0]);
        assertEquals(6.5, clippedNorm, 1e-5);
    }

    @Test
    void leavesGradientsAloneUnderTheLimit() {
        List<Tensor> p = params();
        assertEquals(13.0, GradClip.clipGlobalNorm(p, 20));
        assertArrayEquals(new float[] {3, 4}, p.get(0).grad().toFloatArray());
        assertArrayEquals(new float[] {12}, p.get(1).grad().toFloatArray());
    }

    @Test
    void noGradientsMeansNormZero() {
        Tensor p = Tensor.zeros(BACKEND, DType.F32, 2).requiresGrad(true);
        assertEquals(0.0, GradClip.clipGlobalNorm(List.of(p), 1.0));
        assertNull(p.grad());
    }

    @Test
    void aNonFiniteNormIsReturnedAndGradientsAreLeftForTheCallerToSkip() {
        Tensor p = Tensor.zeros(BACKEND, DType.F32, 2).requiresGrad(true);
        TestGradients.set(p, new float[] {Float.POSITIVE_INFINITY, 1});
        assertEquals(Double.POSITIVE_INFINITY, GradClip.clipGlobalNorm(List.of(p), 1.0));
        assertArrayEquals(new float[] {Float.POSITIVE_INFINITY, 1}, p.grad().toFloatArray());
    }

    @Test
    void maxNormMustBePositive() {
        var e = assertThrows(IllegalArgumentException.class, () -> GradClip.clipGlobalNorm(params(), 0));
        assertEquals("maxNorm must be finite and > 0, got 0.0", e.getMessage());
    }
}
