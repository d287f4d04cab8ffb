package dev.mixtape.adapters;

import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Module;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One named LoRA / MoSLoRA adapter inside a model: its config, the layers it adapts, its parameters,
 * and the switches PEFT users know ({@link #activate}, {@link #merge}, {@link #unmerge}). Obtain one
 * from {@link Adapters#inject}, {@link Adapters#get} or {@link PeftFiles#load}. A handle holds no
 * state of its own: everything lives in the model's {@link LoraLinear} layers.
 */
public final class Adapter {
    private final Module model;
    private final String name;
    private final LoraConfig config;
    private final Map<String, LoraLinear> layers;

    Adapter(Module model, String name, LoraConfig config, Map<String, LoraLinear> layers) {
        this.model = model;
        this.name = name;
        this.config = config;
        this.layers = layers;
    }

    /** The adapter's name in the model ({@code "default"}, say). */
    public String name() {
        return name;
    }

    /** The settings it was made with. */
    public LoraConfig config() {
        return config;
    }

    /** The dotted names of the layers it adapts, in model order. */
    public List<String> layerNames() {
        return List.copyOf(layers.keySet());
    }

    /**
     * Its parameters by their dotted names in the model ({@code …q_proj.lora_A.<name>.weight},
     * {@code lora_B}, and {@code lora_AB} for MoSLoRA), in model order.
     */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        layers.forEach((layer, lora) -> {
            LoraBranch branch = lora.branch(name);
            out.put(layer + ".lora_A." + name + ".weight", branch.a.weight());
            out.put(layer + ".lora_B." + name + ".weight", branch.b.weight());
            if (branch.mixer != null) {
                out.put(layer + ".lora_AB." + name + ".weight", branch.mixer.weight());
            }
        });
        return out;
    }

    /** The tensors of {@link #namedParameters()}: what an optimizer should update to train this adapter. */
    public List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /**
     * Makes this the model's active adapter: layers that hold it run it, every other adapted layer runs
     * its base alone. Refused while another adapter is merged.
     */
    public void activate() {
        Map<String, LoraLinear> all = Adapters.loraLayers(model);
        all.forEach((layer, lora) -> lora.mergedAdapter().ifPresent(merged -> {
            if (!merged.equals(name)) {
                throw new IllegalStateException("cannot activate adapter '" + name + "': adapter '" + merged
                        + "' is merged into '" + layer + "'; unmerge it first");
            }
        }));
        all.values().forEach(lora -> lora.activate(lora.holds(name) ? name : null));
    }

    /**
     * Adds {@code s·B·M·A} (or {@code s·B·A}) into each adapted layer's base weight and makes this the
     * active adapter; forward passes then cost what the base model costs. The merged weights are F32
     * whatever the base's type: a BF16 or block-format (Q8_0, Q4_K, ...) base is dequantised and not
     * re-quantised, so the update is not rounded away. The original weights are kept for an exact
     * {@link #unmerge}, so while merged each adapted layer holds its weight twice. Refused in training
     * mode and while any adapter is merged.
     */
    public void merge() {
        Adapters.loraLayers(model).forEach((layer, lora) -> {
            if (lora.mergedAdapter().isPresent()) {
                throw new IllegalStateException("cannot merge adapter '" + name + "': adapter '" + lora.mergedAdapter().get()
                        + "' is already merged into '" + layer + "'");
            }
            if (lora.isTraining()) {
                throw new IllegalStateException("cannot merge adapter '" + name + "' in training mode; call eval() on the model first");
            }
        });
        activate();
        layers.values().forEach(lora -> lora.merge(name));
    }

    /** Puts back every adapted layer's original base weight, exactly; the adapter stays active, running as a branch. */
    public void unmerge() {
        if (!isMerged()) {
            throw new IllegalStateException("adapter '" + name + "' is not merged");
        }
        layers.values().forEach(LoraLinear::unmerge);
    }

    /** Whether this adapter is merged into the base weights. */
    public boolean isMerged() {
        return layers.values().iterator().next().mergedAdapter().filter(name::equals).isPresent();
    }

    /** The layer objects it adapts, by dotted name (for {@link PeftFiles}). */
    Map<String, LoraLinear> layers() {
        return layers;
    }
}
