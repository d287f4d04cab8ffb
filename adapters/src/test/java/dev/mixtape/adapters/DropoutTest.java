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
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Adapter dropout: off in evaluation mode (the default), on the adapter branch only in training mode. */
class DropoutTest {
    private static final int ROWS = 3;
    private static final int IN = 8;
    private static final int OUT = 5;
    private static final int R = 2;
    private static final double P = 0.3;

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
        model.train(new Rng(5));
        float[] training = model.forward(x).toFloatArray();
        // The layer's generator is seeded with the first long of the model's generator.
        float[] mask = new Rng(new Rng(5).nextLong()).dropoutMask(ROWS * IN, P);
        assertClose(expected(mask), training, 1e-5, "training output");
        assertTrue(maxDifference(evaluation, training) > 1e-3, "dropout changed the output");
        assertTrue(maxDifference(training, model.forward(x).toFloatArray()) > 1e-3, "a new mask each call");

        model.eval();
        assertArrayEquals(evaluation, model.forward(x).toFloatArray());
    }

    /**
     * Dropout as PyTorch's {@code nn.Dropout} does it, checked without the mask generator the other
     * tests reuse: a mask element is 0 with probability p and 1/(1−p) otherwise (share of zeros within
     * 0.02 of p over 20,000 draws), so the mean of many training outputs is the evaluation output
     * (within five standard errors over 4,000 calls, each element). Dropping with probability 1−p,
     * forgetting the 1/(1−p) rescaling, or dropping the base path's input as well fails it.
     */
    @Test
    void trainingOutputsAverageToTheEvaluationOutput() {
        float[] mask = new Rng(9).dropoutMask(20_000, P);
        int zeros = 0;
        for (float m : mask) {
            assertTrue(m == 0f || m == (float) (1 / (1 - P)), "mask value " + m);
            zeros += m == 0f ? 1 : 0;
        }
        assertEquals(P, (double) zeros / mask.length, 0.02, "share dropped");

        float[] evaluation = model.forward(x).toFloatArray();
        model.train(new Rng(7));
        int calls = 4000;
        double[] sum = new double[evaluation.length];
        double[] squares = new double[evaluation.length];
        for (int c = 0; c < calls; c++) {
            float[] training = model.forward(x).toFloatArray();
            for (int i = 0; i < training.length; i++) {
                sum[i] += training[i];
                squares[i] += (double) training[i] * training[i];
            }
        }
        for (int i = 0; i < evaluation.length; i++) {
            double mean = sum[i] / calls;
            double standardError = Math.sqrt(Math.max(0, squares[i] / calls - mean * mean) / calls);
            assertTrue(standardError > 0, "element " + i + " varies under dropout");
            assertEquals(evaluation[i], mean, 5 * standardError + 1e-6, "element " + i + "'s mean over " + calls + " training calls");
        }
    }

    @Test
    void theSameSeedRepeatsTheSameMasks() {
        model.train(new Rng(5));
        float[] first = model.forward(x).toFloatArray();
        model.train(new Rng(5));
        assertArrayEquals(first, model.forward(x).toFloatArray());
    }
}
