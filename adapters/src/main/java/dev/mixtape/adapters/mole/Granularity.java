package dev.mixtape.adapters.mole;

import java.util.Locale;

/**
 * How many gates a MoLE has: which adapted matrices share one (the MoLE paper's hierarchical control
 * ablation). Groups are read off the dotted module names, e.g. for
 * {@code model.layers.3.self_attn.q_proj}:
 * <ul>
 *   <li>{@link #MATRIX}: the matrix itself, {@code model.layers.3.self_attn.q_proj};</li>
 *   <li>{@link #LAYER}: its parent module, the attention or MLP sub-layer {@code model.layers.3.self_attn};</li>
 *   <li>{@link #BLOCK}: the name up to the first number, the decoder block {@code model.layers.3};</li>
 *   <li>{@link #NETWORK}: one gate for the whole model, named {@code ""} as the root module is.</li>
 * </ul>
 */
public enum Granularity {
    /** One gate per adapted matrix. */
    MATRIX,
    /** One gate per sub-layer (attention or MLP): the adapted matrix's parent module. */
    LAYER,
    /** One gate per decoder block: the name up to and including its first number component. */
    BLOCK,
    /** One gate for the whole network. */
    NETWORK;

    /** The name used in {@code mole_config.json}: {@code "matrix"}, {@code "layer"}, {@code "block"} or {@code "network"}. */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The name of the gate that the adapted matrix {@code layer} belongs to. */
    public String group(String layer) {
        return switch (this) {
            case MATRIX -> layer;
            case LAYER -> layer.contains(".") ? layer.substring(0, layer.lastIndexOf('.')) : "";
            case BLOCK -> block(layer);
            case NETWORK -> "";
        };
    }

    private static String block(String layer) {
        String[] parts = layer.split("\\.");
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < parts.length - 1; i++) {
            prefix.append(i == 0 ? "" : ".").append(parts[i]);
            if (!parts[i].isEmpty() && parts[i].chars().allMatch(Character::isDigit)) {
                return prefix.toString();
            }
        }
        throw new IllegalArgumentException("block granularity needs a block number in every adapted layer's name "
                + "(as in model.layers.3.self_attn.q_proj), but '" + layer + "' has none");
    }
}
