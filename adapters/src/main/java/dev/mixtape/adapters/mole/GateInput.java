package dev.mixtape.adapters.mole;

import java.util.Locale;

/** What a gate reads to compute its logits. */
public enum GateInput {
    /**
     * The MoLE paper's form (the default): the outputs of the N experts at the gate's first matrix,
     * concatenated into one vector of {@code N·out} features and RMS-normalised.
     */
    EXPERT_OUTPUTS,
    /** The released MoLE code's form: the input of the gate's first matrix ({@code in} features), RMS-normalised. */
    MODULE_INPUT;

    /** The name used in {@code mole_config.json}: {@code "expert_outputs"} or {@code "module_input"}. */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
