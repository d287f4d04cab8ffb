package dev.mixtape.adapters;

import dev.mixtape.adapters.mole.Granularity;
import dev.mixtape.adapters.mole.Mole;
import dev.mixtape.adapters.mole.MoleConfig;
import dev.mixtape.engine.GradCheck;
import dev.mixtape.engine.Precision;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Linear;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import static dev.mixtape.adapters.MoleByHand.concatenated;
import static dev.mixtape.adapters.MoleByHand.expert;
import static dev.mixtape.adapters.MoleByHand.expertOutput;
import static dev.mixtape.adapters.MoleByHand.gateWeights;
import static dev.mixtape.adapters.MoleByHand.mixture;
import static dev.mixtape.adapters.MoleByHand.none;
import static dev.mixtape.adapters.MoleByHand.randomGates;
import static dev.mixtape.adapters.Reference.plusScaled;
import static dev.mixtape.adapters.Reference.timesTransposed;
import static dev.mixtape.adapters.Reference.widen;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Training a MoLE: gradients reach the gates alone and agree with central finite differences, and
 * the balance loss has its formula's value and gradient. The checks run in f32 on the Vector backend
 * (the adapters' tests have no f64 backend) with {@link Precision#vectorF32()}'s step 1e-2 and
 * tolerance 1e-3 + 5e-3·|numeric|; the gradients checked are of order 0.1 to 1, so an error in the
 * backward pass shows.
 */
class MoleGradientTest {
    private static final int ROWS = 3;

    private final Precision precision = Precision.vectorF32();

    /** One block, both sub-layers gated, τ learnable: the gates' weights and log τ, 66 values in all. */
    private Mole gatedModel(ToyModel model, MoleConfig.Builder config) {
        TargetModules all = TargetModules.names("q_proj", "v_proj", "up_proj", "down_proj");
        expert(model, "a", LoraConfig.builder(all).r(2).alpha(4), 2);
        expert(model, "b", LoraConfig.builder(all).r(2).alpha(3).mixer(MixerInit.KAIMING), 3);
        Mole mole = Mole.attach(model, List.of("a", "b"), config.granularity(Granularity.LAYER).build());
        randomGates(mole, 0.5, 4);
        return mole;
    }

    @Test
    void gradientsReachOnlyTheGatesAndMatchFiniteDifferences() {
        ToyModel model = new ToyModel(precision.backend(), 1, 1);
        Mole mole = gatedModel(model, MoleConfig.builder().learnableTemperature(true).temperature(0.8));
        Tensor x = new Rng(5).normal(precision.backend(), 0, 1, ROWS, ToyModel.DIM);

        model.forward(x).sum().backward();
        Set<Tensor> gates = Collections.newSetFromMap(new IdentityHashMap<>());
        gates.addAll(mole.parameters());
        double largest = 0;
        for (Map.Entry<String, Tensor> entry : model.namedParameters().entrySet()) {
            Tensor grad = entry.getValue().grad();
            if (gates.contains(entry.getValue())) {
                assertNotNull(grad, entry.getKey());
                for (double g : grad.toDoubleArray()) {
                    largest = Math.max(largest, Math.abs(g));
                }
            } else {
                assertNull(grad, entry.getKey() + " is frozen");
            }
        }
        assertTrue(largest > 0.1, "gate gradients large enough to check: " + largest);

        checkGates("model output", model, model::forward, x);
    }

    @Test
    void theBalanceLossGradientMatchesFiniteDifferences() {
        ToyModel model = new ToyModel(precision.backend(), 1, 1);
        Mole mole = gatedModel(model, MoleConfig.builder().balanceWeight(0.5));
        checkGates("balance loss", model, x -> {
            model.forward(x);
            return mole.balanceLoss();
        }, new Rng(5).normal(precision.backend(), 0, 1, ROWS, ToyModel.DIM));
    }

    /** Checks d f(x) / d gate parameters by {@link GradCheck}, setting the gates to its probes by name. */
    private static void checkGates(String label, ToyModel model, Function<Tensor, Tensor> f, Tensor x) {
        Map<String, Tensor> trainable = new LinkedHashMap<>();
        model.namedParameters().forEach((name, tensor) -> {
            if (tensor.requiresGrad()) {
                trainable.put(name, tensor);
            }
        });
        List<String> names = new ArrayList<>(trainable.keySet());
        double[][] values = new double[names.size()][];
        int[][] shapes = new int[names.size()][];
        for (int i = 0; i < names.size(); i++) {
            values[i] = trainable.get(names.get(i)).toDoubleArray();
            shapes[i] = trainable.get(names.get(i)).shape();
        }
        GradCheck.check(label, Precision.vectorF32(), leaves -> {
            for (int i = 0; i < names.size(); i++) {
                model.setParameter(names.get(i), leaves.get(i));
            }
            return f.apply(x);
        }, values, shapes);
    }

    /** One gate over three experts and six tokens: {@code α·(−Σ log qᵢ)} and the entropy from G by hand. */
    @Test
    void theBalanceLossAndEntropyHaveTheirValuesByHand() {
        Linear proj = new Linear(precision.backend(), 6, 4, false, new Rng(1));
        SingleLayer model = new SingleLayer(proj);
        List<Adapter> experts = List.of(
                expert(model, "a", LoraConfig.builder(TargetModules.names("proj")).r(2).alpha(4), 2),
                expert(model, "b", LoraConfig.builder(TargetModules.names("proj")).r(2).alpha(2), 3),
                expert(model, "c", LoraConfig.builder(TargetModules.names("proj")).r(1).alpha(2), 4));
        double alpha = 0.3;
        Mole mole = Mole.attach(model, List.of("a", "b", "c"), MoleConfig.builder().granularity(Granularity.MATRIX)
                .balanceWeight(alpha).build());
        randomGates(mole, 0.5, 5);
        int rows = 6;
        Tensor x = new Rng(6).normal(precision.backend(), 0, 1, rows, 6);
        model.forward(x);

        double[] xs = widen(x.toFloatArray());
        double[] u = concatenated(experts.stream().map(e -> expertOutput(e, "proj", xs, rows)).toList(), rows);
        double[] e = widen(mole.namedParameters().get("proj.mole_gate.weight").toFloatArray());
        double[][] weights = gateWeights(u, 1, rows, e, 3, 1.0, false, none(3));
        double loss = 0;
        double entropy = 0;
        for (int i = 0; i < 3; i++) {
            double q = 0;
            for (double[] row : weights) {
                q += row[i] / rows;
                entropy -= row[i] * Math.log(row[i]) / rows;
            }
            loss -= alpha * Math.log(q);
        }
        assertEquals(loss, mole.balanceLoss().item(), 1e-5);
        assertEquals(entropy, mole.gateEntropy(), 1e-5);
        assertTrue(loss > alpha * 3 * Math.log(3) + 1e-3, "uneven gates cost more than the minimum α·N·log N");
    }

    /**
     * With several gates, q averages each gate's mean weights over the gates. Both gates' weights are
     * computed by hand ({@link MoleByHand}, in double precision): q_proj's on the block input, up_proj's
     * on the attention sub-layer's output, which itself goes through q_proj's gated mixture. A balance
     * loss that used one gate only, summed rather than averaged over gates or tokens, or read the gates
     * of the previous forward pass fails it.
     */
    @Test
    void theBalanceLossAveragesOverGates() {
        ToyModel model = new ToyModel(precision.backend(), 1, 1);
        String q = "model.layers.0.attn.q_proj";
        String v = "model.layers.0.attn.v_proj";
        String up = "model.layers.0.mlp.up_proj";
        double[] wq = widen(model.namedParameters().get(q + ".weight").toFloatArray());
        double[] wv = widen(model.namedParameters().get(v + ".weight").toFloatArray());
        TargetModules targets = TargetModules.names("q_proj", "up_proj");
        List<Adapter> experts = List.of(expert(model, "a", LoraConfig.builder(targets).r(2).alpha(4), 2),
                expert(model, "b", LoraConfig.builder(targets).r(2).alpha(3).mixer(MixerInit.KAIMING), 3));
        Mole mole = Mole.attach(model, List.of("a", "b"), MoleConfig.builder().granularity(Granularity.MATRIX).balanceWeight(0.5).build());
        randomGates(mole, 2, 4);
        Tensor x = new Rng(5).normal(precision.backend(), 0, 1, ROWS, ToyModel.DIM);
        model.forward(new Rng(6).normal(precision.backend(), 0, 1, ROWS, ToyModel.DIM));
        model.forward(x);

        double[] xs = widen(x.toFloatArray());
        List<double[]> qOutputs = experts.stream().map(e -> expertOutput(e, q, xs, ROWS)).toList();
        double[][] qWeights = gateWeights(concatenated(qOutputs, ROWS), 1, ROWS, gate(mole, q), 2, 1.0, false, none(2));
        double[] mixed = mixture(timesTransposed(xs, ROWS, wq, ToyModel.DIM), qOutputs, qWeights, ROWS, false);
        for (int i = 0; i < mixed.length; i++) {
            mixed[i] = mixed[i] / (1 + Math.exp(-mixed[i]));
        }
        double[] h = plusScaled(xs, 1, timesTransposed(mixed, ROWS, wv, ToyModel.DIM));
        List<double[]> upOutputs = experts.stream().map(e -> expertOutput(e, up, h, ROWS)).toList();
        double[][] upWeights = gateWeights(concatenated(upOutputs, ROWS), 1, ROWS, gate(mole, up), 2, 1.0, false, none(2));

        double loss = balance(qWeights, upWeights);
        assertEquals(loss, mole.balanceLoss().item(), 1e-5);
        assertTrue(Math.abs(loss - balance(qWeights)) > 1e-3 && Math.abs(loss - balance(upWeights)) > 1e-3,
                "the gates differ enough to tell one from both: " + loss + ", " + balance(qWeights) + ", " + balance(upWeights));
    }

    /** {@code −0.5·Σᵢ log qᵢ} with qᵢ the mean of expert i's weight over every token of every gate given. */
    private static double balance(double[][]... gates) {
        double loss = 0;
        for (int i = 0; i < 2; i++) {
            double qi = 0;
            for (double[][] weights : gates) {
                for (double[] row : weights) {
                    qi += row[i] / (weights.length * gates.length);
                }
            }
            loss -= 0.5 * Math.log(qi);
        }
        return loss;
    }

    private static double[] gate(Mole mole, String layer) {
        return widen(mole.namedParameters().get(layer + ".mole_gate.weight").toFloatArray());
    }

    @Test
    void theBalanceLossNeedsAForwardPassAndEveryExpert() {
        ToyModel model = new ToyModel(precision.backend(), 1, 1);
        Mole mole = gatedModel(model, MoleConfig.builder());
        String before = assertThrows(IllegalStateException.class, mole::balanceLoss).getMessage();
        assertEquals("gate 'model.layers.0.attn' has not run yet: run a forward pass first", before);
        mole.mask(List.of("a"));
        model.forward(new Rng(5).normal(precision.backend(), 0, 1, ROWS, ToyModel.DIM));
        String masked = assertThrows(IllegalStateException.class, mole::balanceLoss).getMessage();
        assertEquals("the balance loss needs every expert, but [a] are masked; masking is for inference, so unmask them to train",
                masked);
    }
}
