package dev.mixtape.engine.nd4j;

import dev.mixtape.engine.DType;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.optim.AdamW;
import dev.mixtape.engine.optim.SGD;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.SplittableRandom;

import static dev.mixtape.engine.nd4j.Conformance.tensor;
import static dev.mixtape.engine.nd4j.Conformance.values;

/**
 * AdamW and SGD over several steps on every backend against the Vector backend: its fused steps
 * ({@code FusedOptimizerSteps}), ND4J's, and the optimizers' own composition of primitives on the
 * reference backend, which has no fused step.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OptimizerConformanceTest {
    private static final int STEPS = 4;

    private final Conformance conformance = new Conformance();

    @AfterAll
    void close() {
        conformance.close();
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void adamwSteps(DType dtype) {
        SplittableRandom random = new SplittableRandom(21);
        double[] param = values(random, 15);
        double[][] grads = new double[STEPS][];
        for (int s = 0; s < STEPS; s++) {
            grads[s] = values(random, 15);
        }
        conformance.check(dtype, "adamw", (backend, type) -> {
            Tensor p = tensor(backend, type, param, 3, 5).requiresGrad(true);
            AdamW adamw = new AdamW(List.of(p), 1e-2, 0.9, 0.999, 1e-8, 0.1);
            for (int t = 1; t <= STEPS; t++) {
                // The gradient arrives through a transposed view, so the step reads the transpose's gradient.
                gradient(p, tensor(backend, type, grads[t - 1], 5, 3).transpose(0, 1));
                adamw.step();
                adamw.zeroGrad();
            }
            return new Tensor[] {p, adamw.state().get("state.0.exp_avg"), adamw.state().get("state.0.exp_avg_sq")};
        });
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void sgdStepsWithAndWithoutMomentum(DType dtype) {
        SplittableRandom random = new SplittableRandom(22);
        double[] param = values(random, 12);
        double[][] grads = new double[STEPS][];
        for (int s = 0; s < STEPS; s++) {
            grads[s] = values(random, 12);
        }
        for (double momentum : new double[] {0, 0.9}) {
            for (boolean nesterov : momentum == 0 ? new boolean[] {false} : new boolean[] {false, true}) {
                String what = "sgd momentum " + momentum + (nesterov ? " nesterov" : "");
                conformance.check(dtype, what, (backend, type) -> {
                    Tensor p = tensor(backend, type, param, 4, 3).requiresGrad(true);
                    SGD sgd = new SGD(List.of(p), 0.05, momentum, 0.01, nesterov);
                    for (int s = 0; s < STEPS; s++) {
                        gradient(p, tensor(backend, type, grads[s], 4, 3));
                        sgd.step();
                        sgd.zeroGrad();
                    }
                    Tensor buffer = sgd.state().get("state.0.momentum_buffer");
                    return buffer == null ? new Tensor[] {p} : new Tensor[] {p, buffer};
                });
            }
        }
    }

    /** Gives {@code p} the gradient {@code g}: the gradient of {@code Σ p·g}. */
    private static void gradient(Tensor p, Tensor g) {
        p.mul(g).sum().backward();
    }
}
