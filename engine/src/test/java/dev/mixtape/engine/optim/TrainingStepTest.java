package dev.mixtape.engine.optim;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.Grad;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link TrainingStep}: gradients computed in two halves on two "workers", handed over and added on a
 * driver, give the step one whole batch gives (a driver that dropped or doubled a worker's share, or
 * an update inside {@code backward}, fails the first test); clipping measures before it scales.
 */
class TrainingStepTest {
    private static final Backend BACKEND = Backends.defaultBackend();
    private static final int ROWS = 6;
    private static final int IN = 4;

    /** {@code mean((x·w − y)²)} over the given rows of a fixed regression problem. */
    private static Tensor loss(Tensor w, int from, int to) {
        Rng rng = new Rng(3);
        Tensor x = Tensor.of(BACKEND, rng.uniform(ROWS * IN, -1, 1), ROWS, IN).slice(0, from, to);
        Tensor y = Tensor.of(BACKEND, rng.uniform(ROWS, -1, 1), ROWS, 1).slice(0, from, to);
        Tensor error = x.matmul(w).sub(y);
        return error.mul(error).mean();
    }

    private static Tensor weights() {
        return Tensor.of(BACKEND, new Rng(5).uniform(IN, -1, 1), IN, 1).requiresGrad(true);
    }

    @Test
    void gradientsSummedFromTwoWorkersGiveTheWholeBatchStep() {
        Tensor whole = weights();
        TrainingStep single = new TrainingStep(new SGD(List.of(whole), 0.1), 0);
        single.backward(loss(whole, 0, ROWS), 1);
        single.update();

        Tensor driverWeights = weights();
        TrainingStep driver = new TrainingStep(new SGD(List.of(driverWeights), 0.1), 0);
        for (int[] half : new int[][] {{0, 3}, {3, 6}}) {
            Tensor workerWeights = weights();
            TrainingStep worker = new TrainingStep(new SGD(List.of(workerWeights), 0.1), 0);
            worker.backward(loss(workerWeights, half[0], half[1]), 0.5);
            assertArrayEquals(weights().toFloatArray(), workerWeights.toFloatArray(), "backward updates nothing");
            driver.addGradients(worker.gradients());
        }
        driver.update();

        assertArrayEquals(whole.toFloatArray(), driverWeights.toFloatArray(), 1e-6f);
        assertNull(driverWeights.grad(), "update clears the gradients");
    }

    @Test
    void clipReturnsTheNormBeforeScalingTheGradientsToTheLimit() {
        Tensor w = weights();
        TrainingStep step = new TrainingStep(new SGD(List.of(w), 0.1), 1e-3);
        step.backward(loss(w, 0, ROWS), 1);
        double before;
        try (var scope = Grad.off()) {
            before = Math.sqrt(w.grad().mul(w.grad()).sum().item());
        }

        assertEquals(before, step.clip(), 1e-6);
        assertEquals(1e-3, GradClip.globalNorm(step.gradients()), 1e-6);
    }

    @Test
    void refusesGradientsThatDoNotFitTheParameters() {
        Tensor w = weights();
        TrainingStep step = new TrainingStep(new SGD(List.of(w), 0.1), 0);

        assertThrows(IllegalArgumentException.class, () -> step.addGradients(List.of(Tensor.zeros(BACKEND, w.dtype(), 2, 2))));
        assertThrows(IllegalArgumentException.class, () -> step.addGradients(List.of()));
        assertThrows(IllegalArgumentException.class, () -> new TrainingStep(new SGD(List.of(w), 0.1), -1));
    }
}
