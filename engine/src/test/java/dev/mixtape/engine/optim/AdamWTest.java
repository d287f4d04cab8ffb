package dev.mixtape.engine.optim;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.mixtape.engine.optim.TestGradients.assertClose;
import static dev.mixtape.engine.optim.TestGradients.widen;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdamWTest {
    private static final Backend BACKEND = Backends.defaultBackend();

    /**
     * torch.optim.AdamW's single-tensor algorithm, written out in double as PyTorch's source has it:
     * per parameter its own step count, decay, moment updates, then
     * {@code p.addcdiv_(m, sqrt(v)/sqrt(bc2) + eps, value=−lr/bc1)}.
     */
    static final class ReferenceAdamW {
        final double beta1;
        final double beta2;
        final double eps;
        final double weightDecay;
        final double[][] params;
        final double[][] expAvg;
        final double[][] expAvgSq;
        final long[] steps;

        ReferenceAdamW(double[][] params, double beta1, double beta2, double eps, double weightDecay) {
            this.params = params;
            this.beta1 = beta1;
            this.beta2 = beta2;
            this.eps = eps;
            this.weightDecay = weightDecay;
            expAvg = new double[params.length][];
            expAvgSq = new double[params.length][];
            steps = new long[params.length];
            for (int i = 0; i < params.length; i++) {
                expAvg[i] = new double[params[i].length];
                expAvgSq[i] = new double[params[i].length];
            }
        }

        /** One step; a null gradient skips that parameter entirely. */
        void step(double lr, double[][] grads) {
            for (int i = 0; i < params.length; i++) {
                if (grads[i] == null) {
                    continue;
                }
                steps[i]++;
                double bc1 = 1 - Math.pow(beta1, steps[i]);
                double bc2 = 1 - Math.pow(beta2, steps[i]);
                double stepSize = lr / bc1;
                for (int j = 0; j < params[i].length; j++) {
                    double g = grads[i][j];
                    params[i][j] *= 1 - lr * weightDecay;
                    expAvg[i][j] += (g - expAvg[i][j]) * (1 - beta1);
                    expAvgSq[i][j] = expAvgSq[i][j] * beta2 + (1 - beta2) * g * g;
                    double denom = Math.sqrt(expAvgSq[i][j]) / Math.sqrt(bc2) + eps;
                    params[i][j] -= stepSize * expAvg[i][j] / denom;
                }
            }
        }
    }

    /** Two parameters, six steps, a changing lr, and parameter 1 without a gradient at step 3. */
    private static void checkAgainstReference(double weightDecay) {
        Rng rng = new Rng(21);
        Tensor a = rng.normal(BACKEND, 0, 1, 5).requiresGrad(true);
        Tensor b = rng.normal(BACKEND, 0, 1, 2, 3).requiresGrad(true);
        ReferenceAdamW reference = new ReferenceAdamW(
                new double[][] {widen(a.toFloatArray()), widen(b.toFloatArray())}, 0.9, 0.999, 1e-8, weightDecay);
        AdamW adamw = new AdamW(List.of(a, b), 0.05, 0.9, 0.999, 1e-8, weightDecay);
        for (int step = 0; step < 6; step++) {
            double lr = 0.05 / (1 + step);
            adamw.setLr(lr);
            float[] ga = rng.normal(5, 0, 1);
            float[] gb = rng.normal(6, 0, 0.1);
            TestGradients.set(a, ga);
            if (step == 3) {
                b.zeroGrad();
            } else {
                TestGradients.set(b, gb);
            }
            adamw.step();
            reference.step(lr, new double[][] {widen(ga), step == 3 ? null : widen(gb)});
            assertClose(reference.params[0], a.toFloatArray(), "a after step " + step);
            assertClose(reference.params[1], b.toFloatArray(), "b after step " + step);
        }
    }

    @Test
    void matchesPyTorchsFormulasWithoutWeightDecay() {
        checkAgainstReference(0.0);
    }

    @Test
    void matchesPyTorchsFormulasWithDecoupledWeightDecay() {
        checkAgainstReference(0.1);
    }

    @Test
    void defaultsArePyTorchs() {
        Rng rng = new Rng(22);
        Tensor p = rng.normal(BACKEND, 0, 1, 4).requiresGrad(true);
        ReferenceAdamW reference = new ReferenceAdamW(new double[][] {widen(p.toFloatArray())}, 0.9, 0.999, 1e-8, 1e-2);
        AdamW adamw = new AdamW(List.of(p));
        assertEquals(1e-3, adamw.lr());
        for (int step = 0; step < 3; step++) {
            float[] g = rng.normal(4, 0, 1);
            TestGradients.set(p, g);
            adamw.step();
            reference.step(1e-3, new double[][] {widen(g)});
        }
        assertClose(reference.params[0], p.toFloatArray(), "p");
    }

    @Test
    void weightDecayIsDecoupledFromTheGradient() {
        // With g = 0 the moments stay 0, so the only change is p·(1 − lr·wd) = 2·(1 − 0.1·0.5) = 1.9;
        // Adam with L2 (decay added to g) would instead move p by about lr = 0.1.
        Tensor p = Tensor.of(BACKEND, new float[] {2f}, 1).requiresGrad(true);
        AdamW adamw = new AdamW(List.of(p), 0.1, 0.5);
        TestGradients.set(p, new float[] {0f});
        adamw.step();
        assertEquals(1.9f, p.toFloatArray()[0], 1e-6f);
    }

    @Test
    void hyperparametersAreChecked() {
        List<Tensor> params = List.of(Tensor.zeros(BACKEND, DType.F32, 2).requiresGrad(true));
        var beta = assertThrows(IllegalArgumentException.class, () -> new AdamW(params, 1e-3, 1.0, 0.999, 1e-8, 0));
        assertEquals("beta1 must be in [0, 1), got 1.0", beta.getMessage());
        var lr = assertThrows(IllegalArgumentException.class, () -> new AdamW(params, -1, 0));
        assertEquals("lr must be finite and >= 0, got -1.0", lr.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new AdamW(params, 1e-3, 0.9, -0.1, 1e-8, 0));
        assertThrows(IllegalArgumentException.class, () -> new AdamW(params, 1e-3, 0.9, 0.999, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> new AdamW(params, 1e-3, -0.5));
        var twice = assertThrows(IllegalArgumentException.class, () -> new AdamW(List.of(params.get(0), params.get(0))));
        assertTrue(twice.getMessage().contains("parameter 1") && twice.getMessage().contains("more than once"),
                twice.getMessage());
        var view = assertThrows(IllegalArgumentException.class,
                () -> new AdamW(List.of(Tensor.zeros(BACKEND, DType.F32, 2, 3).transpose(0, 1))));
        assertTrue(view.getMessage().contains("non-contiguous"), view.getMessage());
    }
}
