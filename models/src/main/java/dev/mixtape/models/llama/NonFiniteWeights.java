package dev.mixtape.models.llama;

/**
 * What loading does with a weight that holds NaN or ±Inf (a corrupt or diverged checkpoint, which
 * would otherwise turn every output into NaN): refuse it, naming the tensor, or say so in one line on
 * stderr and load it anyway, for a user who asked to look at such a model.
 */
public enum NonFiniteWeights {
    /** An {@link java.io.IOException} naming the file, the tensor and the first bad element. */
    REFUSE,
    /** One warning line per such tensor on stderr; the values are loaded as they are. */
    WARN
}
