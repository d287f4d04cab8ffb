package dev.mixtape.adapters.mole;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.F;
import dev.mixtape.engine.Grad;
import dev.mixtape.engine.Shapes;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Module;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One learnable gate of a MoLE, shared by the adapted matrices of its group (see {@link Granularity}).
 * Given the gate input {@code u [.., F]} of its group's first matrix, it computes the expert weights
 * <pre>
 *   û = u / rms(u)                    (no learnable scale; with {@link Pooling#MEAN}: mean of û over the sequence)
 *   ε = û · eᵀ                        (e = parameter {@code weight} [N, F], no bias)
 *   G = softmax(ε / τ)                (τ fixed, or exp(parameter {@code log_temperature}))
 *   G' = m ⊙ G / Σ m ⊙ G              (only while experts are masked, m ∈ {0,1}ᴺ)
 * </pre>
 * {@code e} starts at zero, so a new MoLE weighs every expert 1/N: it starts as uniform averaging.
 * The gate keeps the weights of the latest forward pass (for the balance loss, the entropy and the
 * other matrices of its group) and adds them up for {@link Mole#explanation()}.
 */
final class Gate extends Module {
    /** Keeps the normalisation finite when every expert output is zero; far below any real mean square in f32. */
    private static final double NORM_EPS = 1e-12;

    private final String name;
    private final List<String> layers;
    private final MoleConfig config;
    private final int experts;
    private final int features;
    private final Tensor unitScale;
    private final double[] weightSums;
    private long rows;
    private Tensor mask;
    private Tensor latest;
    private int pass;

    /**
     * A gate named {@code name} for the matrices {@code layers} (in model order; the first computes the
     * weights), over {@code experts} experts, reading {@code features} features.
     */
    Gate(String name, List<String> layers, int experts, int features, MoleConfig config, Backend backend) {
        this.name = name;
        this.layers = List.copyOf(layers);
        this.config = config;
        this.experts = experts;
        this.features = features;
        registerParameter("weight", Tensor.zeros(backend, DType.F32, experts, features));
        if (config.learnableTemperature()) {
            registerParameter("log_temperature", Tensor.full(backend, DType.F32, Math.log(config.temperature()), 1));
        }
        unitScale = Tensor.full(backend, DType.F32, 1, features);
        weightSums = new double[experts];
    }

    /** The gate's name: its group's dotted module name ({@code ""} for the whole network). */
    String name() {
        return name;
    }

    /** The adapted matrices that share this gate, in model order. */
    List<String> layers() {
        return layers;
    }

    /** Its parameters by their names in a MoLE folder: {@code <gate>.mole_gate.weight} (and {@code .log_temperature}). */
    Map<String, Tensor> namedParameters(String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        namedParameters().forEach((local, tensor) -> out.put(prefix + local, tensor));
        return out;
    }

    /**
     * Computes this pass's weights from the first layer's gate input {@code u [.., F]}: {@code [.., N]}
     * per token, or {@code [.., 1, N]} with mean pooling.
     */
    Tensor open(Tensor u) {
        if (u.rank() < 2 || u.dim(-1) != features) {
            throw new IllegalArgumentException("gate '" + name + "' reads [.., T, " + features + "] from layer '" + layers.getFirst()
                    + "', got " + Shapes.str(u.shape()));
        }
        Tensor normalised = F.rmsNorm(u, unitScale, NORM_EPS);
        if (config.pooling() == Pooling.MEAN) {
            normalised = normalised.mean(true, -2);
        }
        Tensor logits = F.linear(normalised, parameter("weight"), null);
        Tensor scaled = config.learnableTemperature()
                ? logits.mul(parameter("log_temperature").neg().exp())
                : logits.div(config.temperature());
        Tensor weights = F.softmax(scaled);
        if (mask != null) {
            Tensor kept = weights.mul(mask);
            weights = kept.div(kept.sum(true, -1));
        }
        latest = weights;
        pass++;
        record(weights);
        return weights;
    }

    /** The shape of the weights for a layer input of {@code inputShape}: {@code [.., T, N]}, or {@code [.., 1, N]} pooled. */
    int[] weightShapeFor(int[] inputShape) {
        int[] shape = inputShape.clone();
        shape[shape.length - 1] = experts;
        if (config.pooling() == Pooling.MEAN) {
            shape[shape.length - 2] = 1;
        }
        return shape;
    }

    /** How many times {@link #open} has run: the pass whose weights {@link #latest()} holds. */
    int pass() {
        return pass;
    }

    /** The weights of the latest forward pass, or null before the first. */
    Tensor latest() {
        return latest;
    }

    /** Sets the 0/1 mask over the experts ({@code [N]}), or none when null; takes effect in the next pass. */
    void mask(Tensor mask) {
        this.mask = mask;
    }

    private void record(Tensor weights) {
        double[] sums;
        try (var _ = Grad.off()) {
            sums = weights.reshape(-1, experts).sum(false, 0).toDoubleArray();
        }
        for (int i = 0; i < experts; i++) {
            weightSums[i] += sums[i];
        }
        rows += weights.numel() / experts;
    }

    /** The mean weight of each expert over the rows (tokens, or sequences when pooled) seen since the last reset. */
    GateUsage usage(List<String> expertNames) {
        Map<String, Double> means = new LinkedHashMap<>();
        for (int i = 0; i < experts; i++) {
            means.put(expertNames.get(i), rows == 0 ? Double.NaN : weightSums[i] / rows);
        }
        return new GateUsage(name, layers, means, rows);
    }

    /** Forgets the weights added up so far. */
    void resetUsage() {
        Arrays.fill(weightSums, 0);
        rows = 0;
    }
}
