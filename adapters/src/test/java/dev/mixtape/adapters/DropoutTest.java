package dev.mixtape.adapters;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Linear;
import dev.mixtape.engine.vector.VectorBackend;
import org.junit.jupiter.api.Test;

import static dev.mixtape.adapters.Reference.assertClose;
import static dev.mixtape.adapters.Reference.maxDifference;
import static dev.mixtape.adapters.Reference.plusScaled;
import static dev.mixtape.adapters.Reference.timesTransposed;
import static dev.mixtape.adapters.Reference.widen;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Adapter dropout: off in evaluation mode (the default), on the adapter branch only in training mode. */
class DropoutTest {
    private static final int ROWS = 3;
    private static final int IN = 8;
    private static final int OUT = 5;
    private static final int R = 2;
    private static final double P = 0.5;

    private final Backend backend = new VectorBackend(1);
    private final SingleLayer model = new SingleLayer(new Linear(backend, IN, OUT, false, new Rng(1)));
    private final Adapter adapter = Adapters.inject(model,
            LoraConfig.builder(TargetModules.names("proj")).r(R).alpha(3).dropout(P).init(LoraInit.RANDOM).build(), "a", new Rng(2));
    private final Tensor x = new Rng(3).normal(backend, 0, 1, ROWS, IN);

    /** {@code W₀·x + s·B·A·(mask ⊙ x)} in double precision. */
    private double[] expected(float[] mask) {
        double[] xs = widen(x.toFloatArray());
        double[] masked = xs.clone();
        for (int i = 0; i < masked.length; i++) {
            masked[i] *= mask[i];
        }
        LoraLinear layer = (LoraLinear) model.proj();
        double[] base = timesTransposed(xs, ROWS, widen(layer.base().weight().toFloatArray()), OUT);
        double[] h = timesTransposed(masked, ROWS, widen(adapter.namedParameters().get("proj.lora_A.a.weight").toFloatArray()), R);
        double[] branch = timesTransposed(h, ROWS, widen(adapter.namedParameters().get("proj.lora_B.a.weight").toFloatArray()), OUT);
        return plusScaled(base, 3.0 / R, branch);
    }

    private static float[] ones() {
        float[] mask = new float[ROWS * IN];
        java.util.Arrays.fill(mask, 1f);
        return mask;
    }

    @Test
    void evaluationModeAppliesNoDropout() {
        float[] first = model.forward(x).toFloatArray();
        assertClose(expected(ones()), first, 1e-5, "eval output");
        assertArrayEquals(first, model.forward(x).toFloatArray());
    }

    @Test
    void trainingModeDropsTheBranchInputOnlyWithSeededMasks() {
        float[] evaluation = model.forward(x).toFloatArray();
        Adapters.train(model, new Rng(5));
        float[] training = model.forward(x).toFloatArray();
        // The layer's generator is seeded with the first long of the model's generator.
        float[] mask = new Rng(new Rng(5).nextLong()).dropoutMask(ROWS * IN, P);
        assertClose(expected(mask), training, 1e-5, "training output");
        assertTrue(maxDifference(evaluation, training) > 1e-3, "dropout changed the output");
        assertTrue(maxDifference(training, model.forward(x).toFloatArray()) > 1e-3, "a new mask each call");

        Adapters.eval(model);
        assertArrayEquals(evaluation, model.forward(x).toFloatArray());
    }

    @Test
    void theSameSeedRepeatsTheSameMasks() {
        Adapters.train(model, new Rng(5));
        float[] first = model.forward(x).toFloatArray();
        Adapters.train(model, new Rng(5));
        assertArrayEquals(first, model.forward(x).toFloatArray());
    }

    @Test
    void aModelWithoutAdaptersHasNoTrainingMode() {
        SingleLayer plain = new SingleLayer(new Linear(backend, IN, OUT, false, new Rng(1)));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Adapters.train(plain, new Rng(1)));
        assertTrue(e.getMessage().contains("holds no adapters"), e.getMessage());
    }
}
