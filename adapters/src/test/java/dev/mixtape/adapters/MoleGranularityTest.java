package dev.mixtape.adapters;

import dev.mixtape.adapters.mole.GateInput;
import dev.mixtape.adapters.mole.Granularity;
import dev.mixtape.adapters.mole.Mole;
import dev.mixtape.adapters.mole.MoleConfig;
import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Layer;
import dev.mixtape.engine.nn.Linear;
import dev.mixtape.engine.vector.VectorBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

/** Which matrices share a gate at each granularity, and that they share its weights. */
class MoleGranularityTest {
    private static final int BLOCKS = 3;
    private static final int ROWS = 4;

    private final Backend backend = new VectorBackend(1);

    private ToyModel withTwoExperts(int blocks) {
        ToyModel model = new ToyModel(backend, blocks, 1);
        TargetModules all = TargetModules.names("q_proj", "v_proj", "up_proj", "down_proj");
        expert(model, "a", LoraConfig.builder(all).r(2).alpha(4), 2);
        expert(model, "b", LoraConfig.builder(all).r(3).alpha(3).mixer(MixerInit.KAIMING), 3);
        return model;
    }

    /**
     * Three blocks of four adapted matrices: 12 gates per matrix, 6 per sub-layer, 3 per block, 1 for the
     * network, each with {@code [N, N·out]} of its first matrix; they are all that trains.
     */
    @ParameterizedTest
    @EnumSource(Granularity.class)
    void eachGranularityMakesItsGatesAndOnlyTheyTrain(Granularity granularity) {
        ToyModel model = withTwoExperts(BLOCKS);
        Mole mole = Mole.attach(model, List.of("a", "b"), MoleConfig.builder().granularity(granularity).build());

        List<String> expected = switch (granularity) {
            case MATRIX -> List.of("model.layers.0.attn.q_proj", "model.layers.0.attn.v_proj", "model.layers.0.mlp.up_proj",
                    "model.layers.0.mlp.down_proj");
            case LAYER -> List.of("model.layers.0.attn", "model.layers.0.mlp");
            case BLOCK -> List.of("model.layers.0");
            case NETWORK -> List.of("");
        };
        int perBlock = granularity == Granularity.NETWORK ? 1 : expected.size();
        assertEquals(granularity == Granularity.NETWORK ? 1 : perBlock * BLOCKS, mole.gateNames().size());
        assertEquals(expected, mole.gateNames().subList(0, perBlock));
        String first = expected.getFirst();
        assertArrayEquals(new int[]{2, 2 * ToyModel.DIM},
                mole.namedParameters().get((first.isEmpty() ? "" : first + ".") + "mole_gate.weight").shape());
        if (granularity == Granularity.LAYER) {
            assertArrayEquals(new int[]{2, 2 * ToyModel.HIDDEN}, mole.namedParameters().get("model.layers.2.mlp.mole_gate.weight").shape());
        }

        Set<Tensor> trainable = Collections.newSetFromMap(new IdentityHashMap<>());
        trainable.addAll(model.trainableParameters());
        Set<Tensor> gates = Collections.newSetFromMap(new IdentityHashMap<>());
        gates.addAll(mole.parameters());
        assertEquals(gates, trainable);
    }

    /**
     * Per sub-layer, q_proj opens the attention gate with its experts' outputs for x; v_proj, given any
     * input y, mixes its own experts with those very weights: {@code base_v(y) + Σ Gᵢ(x)·E^vᵢ(y)}.
     */
    @Test
    void theMatricesOfAGroupShareTheWeightsOfItsFirstMatrix() {
        ToyModel model = withTwoExperts(1);
        List<Adapter> experts = List.of(Adapters.get(model, "a"), Adapters.get(model, "b"));
        String q = "model.layers.0.attn.q_proj";
        String v = "model.layers.0.attn.v_proj";
        Linear vBase = ((LoraLinear) model.namedModules().get(v)).base();
        Mole mole = Mole.attach(model, List.of("a", "b"), MoleConfig.builder().granularity(Granularity.LAYER)
                .gateInput(GateInput.EXPERT_OUTPUTS).build());
        randomGates(mole, 0.5, 4);
        Tensor x = new Rng(5).normal(backend, 0, 1, ROWS, ToyModel.DIM);
        Tensor y = new Rng(6).normal(backend, 0, 1, ROWS, ToyModel.DIM);

        ((Layer) model.namedModules().get(q)).forward(x);
        float[] actual = ((Layer) model.namedModules().get(v)).forward(y).toFloatArray();

        double[] xs = widen(x.toFloatArray());
        double[] ys = widen(y.toFloatArray());
        double[] u = concatenated(experts.stream().map(e -> expertOutput(e, q, xs, ROWS)).toList(), ROWS);
        double[] e = widen(mole.namedParameters().get("model.layers.0.attn.mole_gate.weight").toFloatArray());
        double[][] weights = gateWeights(u, 1, ROWS, e, 2, 1.0, false, none(2));
        double[] base = timesTransposed(ys, ROWS, widen(vBase.weight().toFloatArray()), ToyModel.DIM);
        List<double[]> outputs = experts.stream().map(expert -> expertOutput(expert, v, ys, ROWS)).toList();
        assertClose(mixture(base, outputs, weights, ROWS, false), actual, 1e-5, "v_proj with the attention gate's weights");
    }

    @Test
    void theGroupsComeFromTheDottedNames() {
        assertEquals("model.layers.3.self_attn.q_proj", Granularity.MATRIX.group("model.layers.3.self_attn.q_proj"));
        assertEquals("model.layers.3.self_attn", Granularity.LAYER.group("model.layers.3.self_attn.q_proj"));
        assertEquals("model.layers.3", Granularity.BLOCK.group("model.layers.3.self_attn.q_proj"));
        assertEquals("", Granularity.NETWORK.group("model.layers.3.self_attn.q_proj"));
        String message = assertThrows(IllegalArgumentException.class, () -> Granularity.BLOCK.group("proj")).getMessage();
        assertEquals("block granularity needs a block number in every adapted layer's name (as in "
                + "model.layers.3.self_attn.q_proj), but 'proj' has none", message);
    }

    @Test
    void gateNamesMapToTheirMatricesInTheExplanation() {
        ToyModel model = withTwoExperts(1);
        Mole mole = Mole.attach(model, List.of("a", "b"), MoleConfig.builder().granularity(Granularity.BLOCK).build());
        model.forward(new Rng(5).normal(backend, 0, 1, ROWS, ToyModel.DIM));
        assertEquals(List.of("model.layers.0.attn.q_proj", "model.layers.0.attn.v_proj", "model.layers.0.mlp.up_proj",
                "model.layers.0.mlp.down_proj"), mole.explanation().getFirst().layers());
        Map<String, Double> means = mole.explanation().getFirst().meanWeights();
        assertEquals(List.of("a", "b"), List.copyOf(means.keySet()));
        means.values().forEach(mean -> assertEquals(0.5, mean, 1e-7, "gates start uniform"));
        assertEquals(ROWS, mole.explanation().getFirst().rows());
    }
}
