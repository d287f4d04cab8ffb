package dev.mixtape.engine.optim;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Linear;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** End to end: a Linear layer fits y = 2·x0 − x1 + 0.5·x2 + 0.3 with AdamW, clipping and a cosine schedule. */
class TinyRegressionTest {
    private static final Backend BACKEND = Backends.defaultBackend();
    private static final int SAMPLES = 64;
    private static final int STEPS = 200;

    /** The loss before each step of a training run seeded with {@code seed}. */
    private static double[] train(long seed) {
        Rng rng = new Rng(seed);
        Linear model = new Linear(BACKEND, 3, 1, true, rng);
        float[] x = rng.normal(SAMPLES * 3, 0, 1);
        float[] y = new float[SAMPLES];
        for (int n = 0; n < SAMPLES; n++) {
            y[n] = (float) (2.0 * x[3 * n] - x[3 * n + 1] + 0.5 * x[3 * n + 2] + 0.3);
        }
        Tensor inputs = Tensor.of(BACKEND, x, SAMPLES, 3);
        Tensor targets = Tensor.of(BACKEND, y, SAMPLES, 1);
        AdamW optimizer = new AdamW(model.trainableParameters(), 0.1, 1e-4);
        LrSchedule schedule = LrSchedule.cosine(0.1, 0.01, 10, STEPS);
        double[] losses = new double[STEPS];
        for (int step = 0; step < STEPS; step++) {
            optimizer.setLr(schedule.lr(step));
            Tensor loss = model.forward(inputs).sub(targets).pow(2).mean();
            losses[step] = loss.item();
            loss.backward();
            GradClip.clipGlobalNorm(optimizer.params(), 1.0);
            optimizer.step();
            optimizer.zeroGrad();
        }
        return losses;
    }

    @Test
    void theLossFallsByOrdersOfMagnitude() {
        double[] losses = train(3);
        assertTrue(losses[0] > 1, "the untrained loss should be large, was " + losses[0]);
        assertTrue(losses[STEPS - 1] < 1e-6 * losses[0], "final loss " + losses[STEPS - 1] + " vs initial " + losses[0]);
    }

    @Test
    void theSameSeedGivesTheSameLossesAndAnotherSeedDoesNot() {
        assertArrayEquals(train(3), train(3));
        assertFalse(Arrays.equals(train(3), train(4)));
    }
}
