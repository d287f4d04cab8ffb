package dev.mixtape.engine;

/**
 * How rotary position embedding pairs the dimensions of a head. Both rotate pair j by angle
 * {@code position · θ^(−2j/headDim)}; they differ only in which two dimensions form pair j.
 */
public enum RopeLayout {
    /** Hugging Face "rotate_half": pair j is dimensions {@code (j, j + headDim/2)}. */
    HALF,
    /** Meta / llama2.c / GGUF: pair j is adjacent dimensions {@code (2j, 2j + 1)}. */
    INTERLEAVED
}
