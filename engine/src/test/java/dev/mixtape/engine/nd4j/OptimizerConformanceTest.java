package dev.mixtape.engine.nd4j;

import dev.mixtape.engine.DType;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.SplittableRandom;

import static dev.mixtape.engine.nd4j.Conformance.tensor;
import static dev.mixtape.engine.nd4j.Conformance.values;
import static dev.mixtape.engine.nd4j.Conformance.zeros;

/** AdamW and SGD steps of the ND4J backend against the Vector backend's, over several steps. */
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
            Tensor p = tensor(backend, type, param, 3, 5);
            Tensor m = zeros(backend, type, 3, 5);
            Tensor v = zeros(backend, type, 3, 5);
            double beta1 = 0.9;
            double beta2 = 0.999;
            for (int t = 1; t <= STEPS; t++) {
                // The gradient arrives as a transposed view: the contract allows any view for it.
                Tensor grad = tensor(backend, type, grads[t - 1], 5, 3).transpose(0, 1);
                backend.adamwStep(p, grad, m, v, 1e-2, beta1, beta2, 1e-8, 0.1,
                        1 - Math.pow(beta1, t), 1 - Math.pow(beta2, t));
            }
            return new Tensor[] {p, m, v};
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
                    Tensor p = tensor(backend, type, param, 4, 3);
                    Tensor buffer = momentum == 0 ? null : zeros(backend, type, 4, 3);
                    for (int s = 0; s < STEPS; s++) {
                        backend.sgdStep(p, tensor(backend, type, grads[s], 4, 3), buffer, 0.05, momentum, 0.01,
                                nesterov, s == 0);
                    }
                    return buffer == null ? new Tensor[] {p} : new Tensor[] {p, buffer};
                });
            }
        }
    }
}
