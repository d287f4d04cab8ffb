package dev.mixtape.adapters;

import dev.mixtape.engine.nn.Linear;
import dev.mixtape.engine.nn.Module;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the layers a {@link LoraConfig} adapts in a module tree, by PEFT's rules for
 * {@code target_modules} and {@code layers_to_transform}. A layer already wrapped in a
 * {@link LoraLinear} counts as the Linear it wraps; the modules inside a LoraLinear are never targets.
 */
final class TargetSelection {
    private static final String OUTPUT_HEAD = "lm_head";

    private TargetSelection() {
    }

    /**
     * The targeted layers by dotted name, in model order: each a {@link Linear} or a {@link LoraLinear}.
     * Throws {@link IllegalArgumentException} when a list entry or the regex matches nothing, or when a
     * rule matches a module that is not a Linear.
     */
    static Map<String, Module> select(Module model, LoraConfig config) {
        Map<String, Module> candidates = candidates(model);
        Map<String, Module> selected = new LinkedHashMap<>();
        switch (config.targetModules()) {
            case TargetModules.Names names -> selectNames(candidates, names.names(), config, selected);
            case TargetModules.Regex regex -> {
                Pattern pattern = Pattern.compile(regex.pattern());
                candidates.forEach((name, module) -> {
                    if (pattern.matcher(name).matches()) {
                        selected.put(name, requireLinear(name, module, "regex '" + regex.pattern() + "'"));
                    }
                });
                if (selected.isEmpty()) {
                    throw new IllegalArgumentException("target_modules regex '" + regex.pattern() + "' matches no module of "
                            + model.getClass().getSimpleName() + " (it must match a whole dotted name); " + linearNames(candidates));
                }
            }
            case TargetModules.AllLinear allLinear -> {
                candidates.forEach((name, module) -> {
                    if (isLinear(module) && !lastPart(name).equals(OUTPUT_HEAD)) {
                        selected.put(name, module);
                    }
                });
                if (selected.isEmpty()) {
                    throw new IllegalArgumentException("target_modules \"all-linear\": " + model.getClass().getSimpleName()
                            + " has no Linear layer besides " + OUTPUT_HEAD);
                }
            }
        }
        return selected;
    }

    private static void selectNames(Map<String, Module> candidates, List<String> entries, LoraConfig config,
                                    Map<String, Module> selected) {
        Set<String> unmatched = new LinkedHashSet<>(entries);
        candidates.forEach((name, module) -> {
            for (String entry : entries) {
                boolean exact = name.equals(entry);
                if (exact || (name.endsWith("." + entry) && inChosenLayer(name, config))) {
                    selected.put(name, requireLinear(name, module, "entry '" + entry + "'"));
                    unmatched.remove(entry);
                }
            }
        });
        if (!unmatched.isEmpty()) {
            String layers = config.layersToTransform().isEmpty() ? "" : " in layers " + config.layersToTransform();
            throw new IllegalArgumentException("target_modules " + (unmatched.size() == 1 ? "entry " : "entries ")
                    + unmatched + " match no module" + layers + "; " + linearNames(candidates));
        }
    }

    /** PEFT's layer filter: exact-name entries bypass it, suffix matches must sit in a chosen layer. */
    private static boolean inChosenLayer(String name, LoraConfig config) {
        if (config.layersToTransform().isEmpty()) {
            return true;
        }
        OptionalInt layer = layerIndex(name, config.layersPattern());
        return layer.isPresent() && config.layersToTransform().contains(layer.getAsInt());
    }

    /**
     * The layer index in a module name, as PEFT finds it: the last number component that follows a
     * name (one of {@code layersPattern} when given) and precedes another component.
     */
    static OptionalInt layerIndex(String name, List<String> layersPattern) {
        List<String> regexes = new ArrayList<>();
        if (layersPattern.isEmpty()) {
            regexes.add(".*\\.[^.]*\\.(\\d+)\\.");
        } else {
            for (String pattern : layersPattern) {
                regexes.add(".*\\." + pattern + "\\.(\\d+)\\.");
            }
        }
        for (String regex : regexes) {
            Matcher matcher = Pattern.compile(regex).matcher(name);
            if (matcher.lookingAt()) {
                return OptionalInt.of(Integer.parseInt(matcher.group(1)));
            }
        }
        return OptionalInt.empty();
    }

    /** Every named module but the root and anything inside a LoraLinear. */
    private static Map<String, Module> candidates(Module model) {
        Map<String, Module> out = new LinkedHashMap<>();
        List<String> wrappers = new ArrayList<>();
        model.namedModules().forEach((name, module) -> {
            if (name.isEmpty() || wrappers.stream().anyMatch(w -> name.startsWith(w + "."))) {
                return;
            }
            if (module instanceof LoraLinear) {
                wrappers.add(name);
            }
            out.put(name, module);
        });
        return out;
    }

    /** The Linear a target stands for: itself, or the base of a LoraLinear. */
    static Linear linearOf(Module target) {
        return target instanceof LoraLinear lora ? lora.base() : (Linear) target;
    }

    private static Module requireLinear(String name, Module module, String rule) {
        if (!isLinear(module)) {
            throw new IllegalArgumentException("target_modules " + rule + " matches module '" + name + "', a "
                    + module.getClass().getSimpleName() + ", not a Linear: LoRA adapts Linear layers only");
        }
        return module;
    }

    private static boolean isLinear(Module module) {
        return module instanceof Linear || module instanceof LoraLinear;
    }

    private static String lastPart(String name) {
        return name.substring(name.lastIndexOf('.') + 1);
    }

    /** A hint for error messages: the distinct last name parts of the model's Linear layers. */
    private static String linearNames(Map<String, Module> candidates) {
        Set<String> parts = new LinkedHashSet<>();
        candidates.forEach((name, module) -> {
            if (isLinear(module)) {
                parts.add(lastPart(name));
            }
        });
        return parts.isEmpty() ? "it has no Linear layers" : "its Linear layers are named ..." + String.join(", ...", parts);
    }
}
