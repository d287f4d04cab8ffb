package dev.mixtape.adapters.mole;

import java.util.Locale;

/** Whether a gate weighs every token on its own or a whole sequence at once. */
public enum Pooling {
    /** One set of weights per token (the default): causal, and the same in training and generation. */
    TOKEN,
    /**
     * One set of weights per sequence, from the mean of the normalised gate input over the sequence
     * axis (the second-to-last axis of the layer's input). Padding counts like any other token, and
     * the weights of early tokens depend on later ones, so this is not causal; with a KV cache each
     * step is pooled over the tokens of that step alone. Closest to the paper, which gates the
     * flattened fixed-length sequence.
     */
    MEAN;

    /** The name used in {@code mole_config.json}: {@code "token"} or {@code "mean"}. */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
