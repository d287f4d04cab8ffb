package dev.mixtape.adapters;

import dev.mixtape.adapters.mole.Composition;
import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.vector.VectorBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.mixtape.adapters.MoleByHand.expert;
import static dev.mixtape.adapters.Reference.assertClose;
import static dev.mixtape.adapters.Reference.widen;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The static baselines: PEFT's cat, linear and svd compositions, checked against the experts they combine. */
class MoleCompositionTest {
    private static final String Q = "model.layers.0.attn.q_proj";
    private static final String DOWN = "model.layers.0.mlp.down_proj";
    private static final List<String> EXPERTS = List.of("a", "b");
    private static final double[] WEIGHTS = {0.7, -0.4};
    private static final int ROWS = 5;

    @TempDir
    Path dir;

    private final Backend backend = new VectorBackend(1);
    private final Tensor x = new Rng(9).normal(backend, 0, 1, ROWS, ToyModel.DIM);
    private final Tensor h = new Rng(10).normal(backend, 0, 1, ROWS, ToyModel.HIDDEN);

    /** Expert a: LoRA r=2, s=2. Expert b: MoSLoRA r=3 (1 on down_proj), s=5/3 (5 on down_proj). */
    private ToyModel withExperts() {
        ToyModel model = new ToyModel(backend, 1, 1);
        TargetModules targets = TargetModules.names("q_proj", "down_proj");
        expert(model, "a", LoraConfig.builder(targets).r(2).alpha(4), 2);
        expert(model, "b", LoraConfig.builder(targets).r(3).alpha(5).mixer(MixerInit.KAIMING).rankPattern(Map.of("down_proj", 1)), 3);
        return model;
    }

    private static LoraLinear layer(ToyModel model, String name) {
        return (LoraLinear) model.namedModules().get(name);
    }

    /** {@code Σ wᵢ·Eᵢ(input)} on {@code layer}, from the experts' own branches. */
    private static double[] weightedSum(ToyModel model, String layer, Tensor input) {
        double[] sum = null;
        for (int i = 0; i < EXPERTS.size(); i++) {
            double[] output = widen(layer(model, layer).branchOutput(EXPERTS.get(i), input).toFloatArray());
            if (sum == null) {
                sum = new double[output.length];
            }
            for (int j = 0; j < output.length; j++) {
                sum[j] += WEIGHTS[i] * output[j];
            }
        }
        return sum;
    }

    @Test
    void catReproducesTheWeightedSumOfTheExperts() {
        ToyModel model = withExperts();
        Adapter cat = Composition.cat(model, EXPERTS, WEIGHTS, "cat");

        assertClose(weightedSum(model, Q, x), layer(model, Q).branchOutput("cat", x).toFloatArray(), 1e-5, "cat on q_proj");
        assertClose(weightedSum(model, DOWN, h), layer(model, DOWN).branchOutput("cat", h).toFloatArray(), 1e-5, "cat on down_proj");
        assertEquals(5, cat.config().rankFor(Q));
        assertEquals(3, cat.config().rankFor(DOWN));
        assertEquals(1.0, cat.config().scalingFor(Q));
        assertEquals(1.0, cat.config().scalingFor(DOWN));
        assertFalse(cat.config().useMixer(), "the mixers are folded into A");
        assertEquals(List.of("cat"), List.of(Adapters.get(model, "cat").name()));
        assertTrue(cat.parameters().stream().noneMatch(Tensor::requiresGrad), "frozen, as PEFT freezes it");
    }

    /** At a rank that reaches the weighted sum's (5 on q_proj, 3 on down_proj) the SVD is exact too. */
    @Test
    void svdAtFullRankReproducesTheWeightedSum() {
        ToyModel full = withExperts();
        Composition.svd(full, EXPERTS, WEIGHTS, "svd", 5);
        assertClose(weightedSum(full, Q, x), layer(full, Q).branchOutput("svd", x).toFloatArray(), 1e-5, "svd on q_proj");
        assertClose(weightedSum(full, DOWN, h), layer(full, DOWN).branchOutput("svd", h).toFloatArray(), 1e-5, "svd on down_proj");

        ToyModel truncated = withExperts();
        Map<String, Tensor> factors = Composition.svd(truncated, EXPERTS, WEIGHTS, "svd", 0).namedParameters();
        assertArrayEquals(new int[]{3, ToyModel.DIM}, factors.get(Q + ".lora_A.svd.weight").shape(), "largest expert rank");
        assertArrayEquals(new int[]{ToyModel.DIM, 3}, factors.get(Q + ".lora_B.svd.weight").shape());
        assertArrayEquals(new int[]{2, ToyModel.HIDDEN}, factors.get(DOWN + ".lora_A.svd.weight").shape());
        double[] exact = weightedSum(truncated, Q, x);
        float[] approximate = layer(truncated, Q).branchOutput("svd", x).toFloatArray();
        double error = 0;
        for (int i = 0; i < exact.length; i++) {
            error = Math.max(error, Math.abs(exact[i] - approximate[i]));
        }
        assertTrue(error > 1e-3, "rank 3 of a rank-5 sum is an approximation: " + error);

        String message = assertThrows(IllegalArgumentException.class,
                () -> Composition.svd(withExperts(), EXPERTS, WEIGHTS, "svd", 7)).getMessage();
        assertEquals("svd rank 7 exceeds min(out, in) = 6 on 'model.layers.0.attn.q_proj' (6 x 6)", message);
    }

    /** PEFT's linear: {@code A' = Σ √(wᵢ·sᵢ)·Aᵢ}, {@code B' = Σ √(wᵢ·sᵢ)·Bᵢ}, which is not the weighted sum. */
    @Test
    void linearTakesSquareRootsOfWeightTimesScaling() {
        ToyModel model = new ToyModel(backend, 1, 1);
        TargetModules targets = TargetModules.names("q_proj");
        Adapter a = expert(model, "a", LoraConfig.builder(targets).r(2).alpha(4), 2);
        Adapter b = expert(model, "b", LoraConfig.builder(targets).r(2).alpha(1), 3);
        double[] weights = {0.7, 0.4};
        Map<String, Tensor> linear = Composition.linear(model, EXPERTS, weights, "linear").namedParameters();

        double ra = Math.sqrt(0.7 * 2);
        double rb = Math.sqrt(0.4 * 0.5);
        for (String factor : List.of("lora_A", "lora_B")) {
            double[] fa = widen(a.namedParameters().get(Q + "." + factor + ".a.weight").toFloatArray());
            double[] fb = widen(b.namedParameters().get(Q + "." + factor + ".b.weight").toFloatArray());
            double[] expected = new double[fa.length];
            for (int i = 0; i < fa.length; i++) {
                expected[i] = ra * fa[i] + rb * fb[i];
            }
            assertClose(expected, linear.get(Q + "." + factor + ".linear.weight").toFloatArray(), 1e-6, factor);
        }
        assertArrayEquals(new int[]{2, ToyModel.DIM}, linear.get(Q + ".lora_A.linear.weight").shape());
    }

    @Test
    void linearNeedsEqualRanksAndNonNegativeWeights() {
        String ranks = assertThrows(IllegalArgumentException.class,
                () -> Composition.linear(withExperts(), EXPERTS, new double[]{1, 1}, "linear")).getMessage();
        assertEquals("linear composition needs equal ranks, but on 'model.layers.0.attn.q_proj' expert 'a' has rank 2 and 'b' "
                + "rank 3; use cat or svd", ranks);

        ToyModel model = new ToyModel(backend, 1, 1);
        expert(model, "a", LoraConfig.builder(TargetModules.names("q_proj")).r(2), 2);
        expert(model, "b", LoraConfig.builder(TargetModules.names("q_proj")).r(2), 3);
        // the default lora_alpha 8 at r 2 gives s = 4, so w·s = -0.4·4
        String negative = assertThrows(IllegalArgumentException.class,
                () -> Composition.linear(model, EXPERTS, WEIGHTS, "linear")).getMessage();
        assertEquals("linear composition takes √(weight·scaling), but expert 'b' has weight·scaling -1.6 on "
                + "'model.layers.0.attn.q_proj'; use cat or svd", negative);
        assertThrows(IllegalArgumentException.class, () -> Composition.cat(model, EXPERTS, new double[]{1}, "cat"));
    }

    /** A composed adapter is an ordinary one: PEFT files, per-layer ranks included, load it back to the same outputs. */
    @Test
    void aComposedAdapterRoundTripsThroughPeftFiles() throws IOException {
        ToyModel model = withExperts();
        Adapter cat = Composition.cat(model, EXPERTS, WEIGHTS, "cat");
        float[] expected = model.forward(x).toFloatArray();
        PeftFiles.write(dir, cat);

        ToyModel fresh = new ToyModel(backend, 1, 1);
        PeftFiles.load(dir, fresh, "cat");
        assertArrayEquals(expected, fresh.forward(x).toFloatArray());
    }
}
