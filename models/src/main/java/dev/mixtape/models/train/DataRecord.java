package dev.mixtape.models.train;

/**
 * One record of a data file, before tokenisation: a text to model as a whole, or a prompt whose
 * completion is to be learned. {@code origin} says where it came from ({@code file:line}) for errors.
 */
public sealed interface DataRecord {

    /** Where the record is, as {@code file:line} (or the file alone for a whole-file text). */
    String origin();

    /** A text whose every token is predicted (pretraining, continued pretraining). */
    record Text(String text, String origin) implements DataRecord {
    }

    /** A prompt and the completion the model should learn to give; only the completion's tokens are predicted. */
    record PromptCompletion(String prompt, String completion, String origin) implements DataRecord {
    }
}
