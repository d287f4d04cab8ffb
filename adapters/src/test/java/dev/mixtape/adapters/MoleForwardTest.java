package dev.mixtape.adapters;

import dev.mixtape.adapters.mole.Composition;
import dev.mixtape.adapters.mole.GateInput;
import dev.mixtape.adapters.mole.GateUsage;
import dev.mixtape.adapters.mole.Granularity;
import dev.mixtape.adapters.mole.Mole;
import dev.mixtape.adapters.mole.MoleConfig;
import dev.mixtape.adapters.mole.Pooling;
import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Layer;
import dev.mixtape.engine.nn.Linear;
import dev.mixtape.engine.vector.VectorBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static dev.mixtape.adapters.MoleByHand.concatenated;
import static dev.mixtape.adapters.MoleByHand.expert;
import static dev.mixtape.adapters.MoleByHand.expertOutput;
import static dev.mixtape.adapters.MoleByHand.gateWeights;
import static dev.mixtape.adapters.MoleByHand.mixture;
import static dev.mixtape.adapters.MoleByHand.none;
import static dev.mixtape.adapters.MoleByHand.randomGates;
import static dev.mixtape.adapters.Reference.assertClose;
import static dev.mixtape.adapters.Reference.timesTransposed;
import static dev.mixtape.adapters.Reference.widen;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a MoLE layer computes, against the formulas by hand: gating, masking, explanation, and its limits. */
class MoleForwardTest {
    private static final int IN = 6;
    private static final int OUT = 4;
    private static final int SEQUENCES = 2;
    private static final int LENGTH = 3;
    private static final int ROWS = SEQUENCES * LENGTH;
    private static final double TAU = 0.7;

    private final Backend backend = new VectorBackend(1);

    static Stream<Arguments> gateForms() {
        List<Arguments> forms = new ArrayList<>();
        for (GateInput input : GateInput.values()) {
            for (Pooling pooling : Pooling.values()) {
                forms.add(Arguments.of(input, pooling));
            }
        }
        return forms.stream();
    }

    /**
     * Three experts (LoRA, MoSLoRA, LoRA of different ranks and scalings) on one layer, a batch of two
     * sequences: the output is {@code base + Σ Gᵢ·Eᵢ} with G computed by hand, and with expert b
     * masked it is {@code base + Σ G'ᵢ·Eᵢ}, {@code G' = m⊙G / Σ m⊙G}. The explanation reports the
     * weights' mean per expert.
     */
    @ParameterizedTest
    @MethodSource("gateForms")
    void maskingAnExpertRenormalisesTheOthersWeights(GateInput gateInput, Pooling pooling) {
        Linear proj = new Linear(backend, IN, OUT, false, new Rng(1));
        SingleLayer model = new SingleLayer(proj);
        List<Adapter> experts = List.of(
                expert(model, "a", LoraConfig.builder(TargetModules.names("proj")).r(2).alpha(4), 2),
                expert(model, "b", LoraConfig.builder(TargetModules.names("proj")).r(3).alpha(3).mixer(MixerInit.KAIMING), 3),
                expert(model, "c", LoraConfig.builder(TargetModules.names("proj")).r(1).alpha(2), 4));
        Mole mole = Mole.attach(model, List.of("a", "b", "c"), MoleConfig.builder().granularity(Granularity.MATRIX)
                .gateInput(gateInput).pooling(pooling).temperature(TAU).build());
        randomGates(mole, 0.2, 5);
        Tensor x = new Rng(6).normal(backend, 0, 1, SEQUENCES, LENGTH, IN);

        double[] xs = widen(x.toFloatArray());
        double[] base = timesTransposed(xs, ROWS, widen(proj.weight().toFloatArray()), OUT);
        List<double[]> outputs = experts.stream().map(e -> expertOutput(e, "proj", xs, ROWS)).toList();
        double[] u = gateInput == GateInput.EXPERT_OUTPUTS ? concatenated(outputs, ROWS) : xs;
        double[] e = widen(mole.namedParameters().get("proj.mole_gate.weight").toFloatArray());
        boolean pooled = pooling == Pooling.MEAN;
        double[][] weights = gateWeights(u, SEQUENCES, LENGTH, e, 3, TAU, pooled, none(3));
        double[][] renormalised = gateWeights(u, SEQUENCES, LENGTH, e, 3, TAU, pooled, new boolean[]{false, true, false});
        for (double[] row : weights) {
            assertTrue(row[1] > 0.05, "expert b weighs enough for masking it to matter: " + row[1]);
        }

        assertClose(mixture(base, outputs, weights, LENGTH, pooled), model.forward(x).toFloatArray(), 1e-5, "all experts");
        mole.mask(List.of("b"));
        mole.resetExplanation();
        assertClose(mixture(base, outputs, renormalised, LENGTH, pooled), model.forward(x).toFloatArray(), 1e-5, "b masked");

        GateUsage usage = mole.explanation().getFirst();
        assertEquals("proj", usage.gate());
        assertEquals(renormalised.length, usage.rows());
        for (int i = 0; i < 3; i++) {
            double mean = 0;
            for (double[] row : renormalised) {
                mean += row[i] / renormalised.length;
            }
            assertEquals(mean, usage.meanWeights().get(List.of("a", "b", "c").get(i)), 1e-6, "mean weight of expert " + i);
        }
    }

    @Test
    void aMoleOfOneExpertIsThatExpert() {
        ToyModel model = new ToyModel(backend, 2, 1);
        expert(model, "solo", LoraConfig.builder(TargetModules.names("q_proj", "v_proj", "up_proj", "down_proj")).r(2).alpha(4)
                .mixer(MixerInit.KAIMING), 2);
        Tensor x = new Rng(3).normal(backend, 0, 1, 4, ToyModel.DIM);
        float[] expected = model.forward(x).toFloatArray();

        Mole mole = Mole.attach(model, List.of("solo"), MoleConfig.builder().build());
        randomGates(mole, 1.0, 4);
        // softmax over one expert is exactly 1, and 1·E is E: the same floats as the adapter alone.
        assertArrayEquals(expected, model.forward(x).toFloatArray());
    }

    /** With its gates at zero a MoLE weighs every expert 1/N: uniform averaging, as Composition.average composes it. */
    @Test
    void aNewMoleIsUniformAveraging() {
        Tensor x = new Rng(3).normal(backend, 0, 1, 4, ToyModel.DIM);
        List<String> names = List.of("a", "b", "c");
        ToyModel averaged = withThreeExperts();
        Composition.average(averaged, names, "average");
        ToyModel gated = withThreeExperts();
        Mole mole = Mole.attach(gated, names, MoleConfig.builder().granularity(Granularity.NETWORK).build());

        assertClose(widen(averaged.forward(x).toFloatArray()), gated.forward(x).toFloatArray(), 1e-5, "uniform MoLE vs average");
        assertEquals(Math.log(3), mole.gateEntropy(), 1e-6);
    }

    private ToyModel withThreeExperts() {
        ToyModel model = new ToyModel(backend, 2, 1);
        TargetModules targets = TargetModules.names("q_proj", "down_proj");
        expert(model, "a", LoraConfig.builder(targets).r(2).alpha(4), 2);
        expert(model, "b", LoraConfig.builder(targets).r(3).alpha(5).mixer(MixerInit.KAIMING), 3);
        expert(model, "c", LoraConfig.builder(targets).r(1).alpha(1), 4);
        return model;
    }

    @Test
    void masksMustNameKnownExpertsAndKeepOne() {
        Mole mole = Mole.attach(withThreeExperts(), List.of("a", "b", "c"), MoleConfig.builder().build());
        String unknown = assertThrows(IllegalArgumentException.class, () -> mole.mask(List.of("d"))).getMessage();
        assertEquals("cannot mask 'd': the experts are [a, b, c]", unknown);
        String all = assertThrows(IllegalArgumentException.class, () -> mole.mask(List.of("c", "a", "b"))).getMessage();
        assertEquals("masking [a, b, c] would leave no expert; keep at least one", all);
        mole.mask(List.of("b"));
        assertEquals(Set.of("b"), mole.masked());
        mole.mask(List.of());
        assertTrue(mole.masked().isEmpty());
    }

    /** A shared gate computes its weights at its first layer: a later layer that runs first is refused, not given stale weights. */
    @Test
    void aSharedGatesOtherLayersNeedItsFirstLayerToRunFirst() {
        ToyModel model = withThreeExperts();
        Mole.attach(model, List.of("a", "b", "c"), MoleConfig.builder().granularity(Granularity.BLOCK).build());
        Layer down = (Layer) model.namedModules().get("model.layers.0.mlp.down_proj");
        Tensor h = new Rng(3).normal(backend, 0, 1, 4, ToyModel.HIDDEN);
        String message = assertThrows(IllegalStateException.class, () -> down.forward(h)).getMessage();
        assertEquals("gate 'model.layers.0': layer 'model.layers.0.mlp.down_proj' ran before the gate's first layer "
                + "'model.layers.0.attn.q_proj' in this forward pass; a shared gate computes its weights at its first layer "
                + "in model order, so the model must call that layer first", message);

        model.forward(new Rng(4).normal(backend, 0, 1, 4, ToyModel.DIM));
        assertThrows(IllegalStateException.class, () -> down.forward(h), "the pass's weights are used once per layer");
    }

    @Test
    void expertsMustAdaptTheSameLayersAndAModelTakesOneMole() {
        ToyModel model = new ToyModel(backend, 1, 1);
        expert(model, "a", LoraConfig.builder(TargetModules.names("q_proj")).r(2), 2);
        expert(model, "b", LoraConfig.builder(TargetModules.names("q_proj", "v_proj")).r(2), 3);
        String message = assertThrows(IllegalArgumentException.class,
                () -> Mole.attach(model, List.of("a", "b"), MoleConfig.builder().build())).getMessage();
        assertEquals("expert 'b' adapts [model.layers.0.attn.q_proj, model.layers.0.attn.v_proj] but expert 'a' adapts "
                + "[model.layers.0.attn.q_proj]; every expert must adapt the same layers", message);
        assertThrows(IllegalArgumentException.class, () -> Mole.attach(model, List.of("a", "a"), MoleConfig.builder().build()));
        assertThrows(IllegalArgumentException.class, () -> Mole.attach(model, List.of("z"), MoleConfig.builder().build()));

        Mole.attach(model, List.of("a"), MoleConfig.builder().build());
        String twice = assertThrows(IllegalStateException.class,
                () -> Composition.average(model, List.of("a"), "average")).getMessage();
        assertTrue(twice.startsWith("the model already holds a MoLE (at 'model.layers.0.attn.q_proj')"), twice);
    }

    @Test
    void aMergedExpertIsRefused() {
        ToyModel model = withThreeExperts();
        Adapters.get(model, "b").merge();
        String message = assertThrows(IllegalStateException.class,
                () -> Mole.attach(model, List.of("a", "b"), MoleConfig.builder().build())).getMessage();
        assertEquals("adapter 'b' is merged into 'model.layers.0.attn.q_proj'; unmerge it first", message);
    }
}
