package dev.mixtape.adapters;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.nn.Linear;
import dev.mixtape.engine.nn.Module;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Puts LoRA / MoSLoRA adapters into any {@link Module} tree (a Llama, say) and switches them, in the
 * manner of PEFT's {@code get_peft_model}:
 * <pre>{@code
 * LoraConfig config = LoraConfig.builder(TargetModules.names("q_proj", "v_proj")).r(8).alpha(16).dropout(0.05).build();
 * Adapter adapter = Adapters.inject(llama, config, "default", new Rng(42));
 * llama.train(new Rng(7));                      // dropout on
 * AdamW optimizer = new AdamW(adapter.parameters(), 3e-4, 0.0);
 * ...
 * llama.eval();                                 // dropout off
 * }</pre>
 * Each targeted {@link Linear} is replaced by a {@link LoraLinear} wrapping it (the model must call
 * its layers through {@code child(name)}, as the Llama does). A model may hold several adapters; one
 * (or none) is active at a time. New layers start in evaluation mode: call {@link Module#train} after
 * injecting.
 */
public final class Adapters {
    private Adapters() {
    }

    /** Where a new adapter's matrices come from: a random initialisation, or a file. */
    interface FactorSource {
        /** The factors for the layer {@code layerName}, whose base is {@code base}, at rank {@code rank}. */
        LoraFactors factors(String layerName, Linear base, int rank);
    }

    /**
     * Adds a new adapter called {@code name} to every layer {@code config} targets, initialised from
     * {@code rng} (A, then the mixer, then B, layer by layer in model order), and makes it the active
     * one. Every other parameter of the model is frozen ({@code requiresGrad(false)}) and the new
     * adapter's parameters are trainable, as in PEFT. Throws {@link IllegalArgumentException} if a
     * target rule matches nothing or a module that is not a Linear, or the name is taken.
     */
    public static Adapter inject(Module model, LoraConfig config, String name, Rng rng) {
        return attach(model, config, name, (layer, base, rank) -> {
            Backend backend = base.weight().backend();
            return new LoraFactors(
                    config.init().initialA(backend, rng, rank, base.inFeatures()),
                    config.useMixer() ? config.mixer().initial(backend, rng, rank) : null,
                    config.init().initialB(backend, rng, base.outFeatures(), rank));
        });
    }

    /** The adapter called {@code name} in {@code model}. */
    public static Adapter get(Module model, String name) {
        Map<String, LoraLinear> layers = new LinkedHashMap<>();
        loraLayers(model).forEach((layer, lora) -> {
            if (lora.holds(name)) {
                layers.put(layer, lora);
            }
        });
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("no adapter named '" + name + "' in " + model.getClass().getSimpleName()
                    + "; it holds " + names(model));
        }
        return new Adapter(model, name, layers.values().iterator().next().branch(name).config, layers);
    }

    /** The names of the adapters in {@code model}, in the order they were added. */
    public static List<String> names(Module model) {
        Set<String> names = new LinkedHashSet<>();
        loraLayers(model).values().forEach(lora -> names.addAll(lora.adapterNames()));
        return new ArrayList<>(names);
    }

    /**
     * PEFT's {@code merge_and_unload}: merges adapter {@code name} into the base weights and puts every
     * adapted layer's plain {@link Linear} back in its place, so the model holds no adapters at all
     * (the others are dropped) and has the parameter names of the base model: what an HF folder of the
     * fine-tuned model is written from. Refused in training mode.
     */
    public static void mergeAndUnload(Module model, String name) {
        Adapter adapter = get(model, name);
        if (!adapter.isMerged()) {
            adapter.merge();
        }
        loraLayers(model).forEach((layer, lora) -> model.replaceModule(layer, lora.base()));
    }

    /**
     * PEFT's {@code delete_adapter}: removes adapter {@code name} from every layer holding it, so that
     * its matrices can be collected; other adapters stay. If it was active, none is. Refused while it is merged.
     */
    public static void delete(Module model, String name) {
        Map<String, LoraLinear> holding = new LinkedHashMap<>();
        loraLayers(model).forEach((layer, lora) -> {
            if (lora.holds(name)) {
                holding.put(layer, lora);
            }
        });
        if (holding.isEmpty()) {
            throw new IllegalArgumentException("no adapter named '" + name + "' in " + model.getClass().getSimpleName()
                    + "; it holds " + names(model));
        }
        holding.forEach((layer, lora) -> {
            if (lora.mergedAdapter().filter(name::equals).isPresent()) {
                throw new IllegalStateException("adapter '" + name + "' is merged into '" + layer + "'; unmerge it before deleting it");
            }
        });
        holding.values().forEach(lora -> lora.removeAdapter(name));
    }

    /** Makes no adapter active: the model computes as its base. Refused while an adapter is merged. */
    public static void deactivate(Module model) {
        Map<String, LoraLinear> layers = loraLayers(model);
        layers.forEach((layer, lora) -> lora.mergedAdapter().ifPresent(merged -> {
            throw new IllegalStateException("cannot deactivate adapters: adapter '" + merged + "' is merged into '"
                    + layer + "'; unmerge it first");
        }));
        layers.values().forEach(lora -> lora.activate(null));
    }

    /** Every LoraLinear in {@code model} by dotted name, in model order. */
    static Map<String, LoraLinear> loraLayers(Module model) {
        Map<String, LoraLinear> out = new LinkedHashMap<>();
        model.namedModules().forEach((name, module) -> {
            if (module instanceof LoraLinear lora) {
                out.put(name, lora);
            }
        });
        return out;
    }

    /**
     * Adds adapter {@code name} with factors from {@code source} to the layers {@code config} targets;
     * the factors of every layer are obtained before the model is changed.
     */
    static Adapter attach(Module model, LoraConfig config, String name, FactorSource source) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("an adapter name must be non-empty and contain no '.', got '" + name + "'");
        }
        loraLayers(model).forEach((layer, lora) -> {
            if (lora.holds(name)) {
                throw new IllegalArgumentException(model.getClass().getSimpleName() + " already holds an adapter named '"
                        + name + "' (in '" + layer + "')");
            }
            lora.mergedAdapter().ifPresent(merged -> {
                throw new IllegalStateException("cannot add adapter '" + name + "': adapter '" + merged
                        + "' is merged into '" + layer + "'; unmerge it first");
            });
        });
        Map<String, Module> targets = TargetSelection.select(model, config);
        Map<String, LoraFactors> factors = new LinkedHashMap<>();
        targets.forEach((layer, module) -> factors.put(layer, source.factors(layer, TargetSelection.linearOf(module), config.rankFor(layer))));
        model.freeze();
        Map<String, LoraLinear> layers = new LinkedHashMap<>();
        targets.forEach((layer, module) -> {
            LoraLinear lora = module instanceof LoraLinear existing ? existing : wrap(model, layer, (Linear) module);
            lora.addAdapter(name, config, config.rankFor(layer), config.scalingFor(layer), factors.get(layer));
            layers.put(layer, lora);
        });
        Adapter adapter = new Adapter(model, name, config, layers);
        adapter.activate();
        return adapter;
    }

    private static LoraLinear wrap(Module model, String layer, Linear linear) {
        LoraLinear lora = new LoraLinear(linear);
        model.replaceModule(layer, lora);
        return lora;
    }
}
