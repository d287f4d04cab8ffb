package dev.mixtape.models.generate;

/**
 * What one call of {@link Generator#generate} produced, with its timings.
 *
 * @param promptTokens    number of prompt ids (including BOS)
 * @param generatedIds    the ids sampled after the prompt, stop token excluded
 * @param text            the decoded text of {@code generatedIds}
 * @param promptNanos     time of the batched prompt pass
 * @param generationNanos time of the token-by-token decoding
 */
public record Generation(int promptTokens, int[] generatedIds, String text, long promptNanos, long generationNanos) {

    /** Prompt tokens processed per second. */
    public double promptTokensPerSecond() {
        return promptTokens / Math.max(1e-9, promptNanos / 1e9);
    }

    /** Generated tokens per second. */
    public double generatedTokensPerSecond() {
        return generatedIds.length / Math.max(1e-9, generationNanos / 1e9);
    }
}
