package dev.mixtape.adapters.mole;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.LoraLinear;
import dev.mixtape.engine.nn.Module;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The expert adapters a MoLE or a composition works on, looked up by name in a model and checked:
 * at least one, no name twice, all on the same layers, none merged into the base weights, and no
 * MoLE in the model yet (its layers would hide a new adapter).
 *
 * @param adapters the experts, in the order named
 * @param layers   the adapted layers (the same for every expert), by dotted name in model order
 */
record ExpertSet(List<Adapter> adapters, Map<String, LoraLinear> layers) {

    static ExpertSet resolve(Module model, List<String> names) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("name at least one expert adapter");
        }
        if (new HashSet<>(names).size() != names.size()) {
            throw new IllegalArgumentException("the experts " + names + " name an adapter more than once");
        }
        model.namedModules().forEach((layer, module) -> {
            if (module instanceof MoleLinear) {
                throw new IllegalStateException("the model already holds a MoLE (at '" + layer + "'): compose adapters or "
                        + "attach a MoLE before that, or on a freshly loaded model");
            }
        });
        List<Adapter> adapters = new ArrayList<>();
        for (String name : names) {
            adapters.add(Adapters.get(model, name));
        }
        Adapter first = adapters.getFirst();
        for (Adapter adapter : adapters) {
            if (!adapter.layerNames().equals(first.layerNames())) {
                throw new IllegalArgumentException("expert '" + adapter.name() + "' adapts " + adapter.layerNames() + " but expert '"
                        + first.name() + "' adapts " + first.layerNames() + "; every expert must adapt the same layers");
            }
        }
        Map<String, Module> modules = model.namedModules();
        Map<String, LoraLinear> layers = new LinkedHashMap<>();
        for (String layer : first.layerNames()) {
            LoraLinear lora = (LoraLinear) modules.get(layer);
            lora.mergedAdapter().ifPresent(merged -> {
                throw new IllegalStateException("adapter '" + merged + "' is merged into '" + layer + "'; unmerge it first");
            });
            layers.put(layer, lora);
        }
        return new ExpertSet(List.copyOf(adapters), layers);
    }

    /** The experts' names, in order. */
    List<String> names() {
        return adapters.stream().map(Adapter::name).toList();
    }
}
