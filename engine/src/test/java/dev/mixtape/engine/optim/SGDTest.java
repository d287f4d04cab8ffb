package dev.mixtape.engine.optim;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static dev.mixtape.engine.optim.TestGradients.assertClose;
import static dev.mixtape.engine.optim.TestGradients.widen;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SGDTest {
    private static final Backend BACKEND = Backends.defaultBackend();

    /** torch.optim.SGD's single-tensor algorithm (dampening 0) written out in double. */
    static final class ReferenceSGD {
        final double momentum;
        final double weightDecay;
        final boolean nesterov;
        final double[][] params;
        final double[][] buffers;

        ReferenceSGD(double[][] params, double momentum, double weightDecay, boolean nesterov) {
            this.params = params;
            this.momentum = momentum;
            this.weightDecay = weightDecay;
            this.nesterov = nesterov;
            this.buffers = new double[params.length][];
        }

        /** One step; a null gradient skips that parameter, its momentum buffer included. */
        void step(double lr, double[][] grads) {
            for (int i = 0; i < params.length; i++) {
                if (grads[i] == null) {
                    continue;
                }
                double[] d = grads[i].clone();
                for (int j = 0; j < d.length; j++) {
                    d[j] += weightDecay * params[i][j];
                }
                if (momentum != 0) {
                    if (buffers[i] == null) {
                        buffers[i] = d.clone();
                    } else {
                        for (int j = 0; j < d.length; j++) {
                            buffers[i][j] = momentum * buffers[i][j] + d[j];
                        }
                    }
                    for (int j = 0; j < d.length; j++) {
                        d[j] = nesterov ? d[j] + momentum * buffers[i][j] : buffers[i][j];
                    }
                }
                for (int j = 0; j < d.length; j++) {
                    params[i][j] -= lr * d[j];
                }
            }
        }
    }

    @ParameterizedTest(name = "momentum={0}, weightDecay={1}, nesterov={2}")
    @CsvSource({
            "0.0, 0.0,  false",
            "0.0, 0.05, false",
            "0.9, 0.0,  false",
            "0.9, 0.0,  true",
            "0.9, 0.05, false",
            "0.8, 0.05, true"})
    void matchesPyTorchsFormulas(double momentum, double weightDecay, boolean nesterov) {
        Rng rng = new Rng(31);
        Tensor a = rng.normal(BACKEND, 0, 1, 7).requiresGrad(true);
        Tensor b = rng.normal(BACKEND, 0, 1, 3, 2).requiresGrad(true);
        ReferenceSGD reference = new ReferenceSGD(
                new double[][] {widen(a.toFloatArray()), widen(b.toFloatArray())}, momentum, weightDecay, nesterov);
        SGD sgd = new SGD(List.of(a, b), 0.1, momentum, weightDecay, nesterov);
        for (int step = 0; step < 6; step++) {
            double lr = 0.1 * (1 - step / 10.0);
            sgd.setLr(lr);
            float[] ga = rng.normal(7, 0, 1);
            float[] gb = rng.normal(6, 0, 1);
            TestGradients.set(a, ga);
            if (step == 2) {
                b.zeroGrad();
            } else {
                TestGradients.set(b, gb);
            }
            sgd.step();
            reference.step(lr, new double[][] {widen(ga), step == 2 ? null : widen(gb)});
            assertClose(reference.params[0], a.toFloatArray(), "a after step " + step);
            assertClose(reference.params[1], b.toFloatArray(), "b after step " + step);
        }
    }

    @Test
    void momentumByHand() {
        // p = 1, lr = 0.1, momentum 0.5, g = 1 then 1:
        // step 1: buf = g = 1,             p = 1 − 0.1·1 = 0.9
        // step 2: buf = 0.5·1 + 1 = 1.5,   p = 0.9 − 0.1·1.5 = 0.75
        Tensor p = Tensor.of(BACKEND, new float[] {1f}, 1).requiresGrad(true);
        SGD sgd = new SGD(List.of(p), 0.1, 0.5, 0, false);
        TestGradients.set(p, new float[] {1f});
        sgd.step();
        assertEquals(0.9f, p.toFloatArray()[0], 1e-7f);
        sgd.step();
        assertEquals(0.75f, p.toFloatArray()[0], 1e-7f);
    }

    @Test
    void hyperparametersAreChecked() {
        List<Tensor> params = List.of(Tensor.zeros(BACKEND, DType.F32, 2).requiresGrad(true));
        var nesterov = assertThrows(IllegalArgumentException.class, () -> new SGD(params, 0.1, 0, 0, true));
        assertEquals("nesterov momentum needs momentum > 0, got momentum=0.0", nesterov.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SGD(params, 0.1, -0.9, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new SGD(params, 0.1, 0.9, -1, false));
        assertThrows(IllegalArgumentException.class, () -> new SGD(params, Double.NaN));
    }
}
