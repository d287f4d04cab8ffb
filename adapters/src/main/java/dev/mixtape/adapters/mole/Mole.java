package dev.mixtape.adapters.mole;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.LoraLinear;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Grad;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Module;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Mixture of LoRA Experts in a model: N frozen expert adapters on every adapted matrix, weighed per
 * token by learnable gates, {@code O(x) = base(x) + Σᵢ Gᵢ · Eᵢ(x)} with {@code G = softmax(ε / τ)}
 * (the package description gives ε and the whole design). Only the gates train.
 * <pre>{@code
 * PeftFiles.load(Path.of("experts/math"), llama, "math");
 * PeftFiles.load(Path.of("experts/code"), llama, "code");
 * Mole mole = Mole.attach(llama, List.of("math", "code"), MoleConfig.builder().build());
 * AdamW optimizer = new AdamW(mole.parameters(), 1e-3, 0.0);   // the same as llama.trainableParameters()
 * Tensor loss = llama.loss(...);                                // a forward pass through the gates
 * loss.add(mole.balanceLoss()).backward();                      // before backward: it uses this pass's weights
 * optimizer.step(); optimizer.zeroGrad();
 * mole.mask(List.of("code"));                                   // inference with "math" alone, no retraining
 * }</pre>
 * Forward passes must not run concurrently: the gates keep the weights of the latest pass.
 */
public final class Mole {
    /** Added inside the entropy's logarithm so that a weight of exactly 0 counts 0, not NaN. */
    private static final double ENTROPY_FLOOR = 1e-30;

    private final List<Adapter> experts;
    private final List<String> expertNames;
    private final MoleConfig config;
    private final List<Gate> gates;
    private final Set<String> masked = new LinkedHashSet<>();

    private Mole(List<Adapter> experts, MoleConfig config, List<Gate> gates) {
        this.experts = experts;
        this.expertNames = experts.stream().map(Adapter::name).toList();
        this.config = config;
        this.gates = List.copyOf(gates);
    }

    /**
     * Makes a MoLE of the adapters {@code experts} (already in {@code model}, e.g. from
     * {@link dev.mixtape.adapters.PeftFiles#load}): every layer they adapt is replaced by a gated
     * mixture of them, the gates are grouped by {@code config}'s {@link Granularity}, every other
     * parameter of the model is frozen and the gates' parameters are trainable. The experts must adapt
     * the same layers and none may be merged. Compose baselines ({@link Composition}) before this: a
     * model with a MoLE accepts no further adapters.
     */
    public static Mole attach(Module model, List<String> experts, MoleConfig config) {
        ExpertSet set = ExpertSet.resolve(model, experts);
        Map<String, List<String>> groups = new LinkedHashMap<>();
        set.layers().keySet().forEach(layer -> groups.computeIfAbsent(config.granularity().group(layer), g -> new ArrayList<>()).add(layer));
        model.freeze();
        List<Gate> gates = new ArrayList<>();
        Map<String, MoleLinear> replacements = new LinkedHashMap<>();
        groups.forEach((group, layers) -> {
            LoraLinear first = set.layers().get(layers.getFirst());
            int features = config.gateInput() == GateInput.EXPERT_OUTPUTS
                    ? experts.size() * first.base().outFeatures() : first.base().inFeatures();
            Gate gate = new Gate(group, layers, experts.size(), features, config, first.base().weight().backend());
            gates.add(gate);
            for (String layer : layers) {
                replacements.put(layer, new MoleLinear(layer, set.layers().get(layer), experts, gate, config.gateInput()));
            }
        });
        set.layers().keySet().forEach(layer -> model.replaceModule(layer, replacements.get(layer)));
        return new Mole(set.adapters(), config, gates);
    }

    /** The experts' names, in the order of the gates' weights. */
    public List<String> experts() {
        return expertNames;
    }

    /** The settings it was made with. */
    public MoleConfig config() {
        return config;
    }

    /** The gates' names (their groups' dotted module names, {@code ""} for the whole network), in model order. */
    public List<String> gateNames() {
        return gates.stream().map(Gate::name).toList();
    }

    /**
     * The gates' parameters by their names in a MoLE folder, {@code <gate>.mole_gate.weight} {@code [N, F]}
     * (and {@code <gate>.mole_gate.log_temperature} {@code [1]} when τ is learnable). Inside the model the
     * same tensors sit under the gate's first layer, {@code <first layer>.mole_gate.weight}.
     */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Gate gate : gates) {
            out.putAll(gate.namedParameters((gate.name().isEmpty() ? "" : gate.name() + ".") + "mole_gate."));
        }
        return out;
    }

    /** The tensors of {@link #namedParameters()}: all that trains, what an optimizer should update. */
    public List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /**
     * The gating balance loss of the latest forward pass, {@code α · (−Σᵢ log qᵢ)} with {@code qᵢ} the
     * mean weight of expert i over every gate and every row (token, or sequence when pooled): smallest
     * when the experts are used evenly. A scalar on the tape: add it to the task loss before
     * {@code backward()}. Refused while experts are masked (masking is for inference) and before the
     * first forward pass.
     */
    public Tensor balanceLoss() {
        if (!masked.isEmpty()) {
            throw new IllegalStateException("the balance loss needs every expert, but " + masked + " are masked; "
                    + "masking is for inference, so unmask them to train");
        }
        Tensor q = null;
        for (Gate gate : latestWeights()) {
            Tensor mean = gate.latest().reshape(-1, experts.size()).mean(false, 0);
            q = q == null ? mean : q.add(mean);
        }
        return q.div(gates.size()).log().sum().neg().mul(config.balanceWeight());
    }

    /**
     * The entropy of the gates' weights in the latest forward pass, {@code −Σᵢ Gᵢ log Gᵢ} in nats,
     * averaged over gates and rows: {@code log N} when every expert weighs the same, 0 when one takes
     * everything. For logging; nothing is recorded on the tape.
     */
    public double gateEntropy() {
        double sum = 0;
        try (var _ = Grad.off()) {
            for (Gate gate : latestWeights()) {
                Tensor weights = gate.latest();
                sum += weights.mul(weights.add(ENTROPY_FLOOR).log()).sum(false, -1).mean().neg().item();
            }
        }
        return sum / gates.size();
    }

    private List<Gate> latestWeights() {
        for (Gate gate : gates) {
            if (gate.latest() == null) {
                throw new IllegalStateException("gate '" + gate.name() + "' has not run yet: run a forward pass first");
            }
        }
        return gates;
    }

    /**
     * Leaves the experts {@code dropped} out from the next forward pass on, without retraining: every
     * gate's weights become {@code G'ᵢ = mᵢ·Gᵢ / Σⱼ mⱼ·Gⱼ} with {@code mᵢ = 0} for a dropped expert.
     * An empty collection unmasks. Unknown names, and dropping every expert, are refused.
     */
    public void mask(Collection<String> dropped) {
        for (String name : dropped) {
            if (!expertNames.contains(name)) {
                throw new IllegalArgumentException("cannot mask '" + name + "': the experts are " + expertNames);
            }
        }
        if (dropped.containsAll(expertNames)) {
            throw new IllegalArgumentException("masking " + expertNames + " would leave no expert; keep at least one");
        }
        masked.clear();
        masked.addAll(dropped);
        Tensor mask = null;
        if (!masked.isEmpty()) {
            double[] keep = new double[expertNames.size()];
            for (int i = 0; i < keep.length; i++) {
                keep[i] = masked.contains(expertNames.get(i)) ? 0 : 1;
            }
            mask = Tensor.of(gates.getFirst().parameter("weight").backend(), DType.F32, keep, keep.length);
        }
        for (Gate gate : gates) {
            gate.mask(mask);
        }
    }

    /** The experts now masked (none by default). */
    public Set<String> masked() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(masked));
    }

    /**
     * For each gate, in model order, the mean weight it gave each expert over the forward passes since
     * the MoLE was made or {@link #resetExplanation()} was called (training and inference alike).
     */
    public List<GateUsage> explanation() {
        return gates.stream().map(gate -> gate.usage(expertNames)).toList();
    }

    /** Starts the {@link #explanation()} afresh. */
    public void resetExplanation() {
        gates.forEach(Gate::resetUsage);
    }

    /** The expert adapters, whose handles keep the layer names they had before the MoLE replaced those layers. */
    List<Adapter> expertAdapters() {
        return experts;
    }
}
