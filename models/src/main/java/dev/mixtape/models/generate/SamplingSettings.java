package dev.mixtape.models.generate;

/**
 * How the next token is chosen from the logits.
 *
 * @param temperature 0 for greedy (argmax); otherwise logits are divided by it before the softmax
 * @param topK        keep only the k most likely tokens (0: no limit)
 * @param topP        keep the smallest set of most likely tokens whose probability reaches p (1: no limit)
 * @param seed        seed of the sampling random stream
 */
public record SamplingSettings(double temperature, int topK, double topP, long seed) {

    public SamplingSettings {
        if (temperature < 0 || Double.isNaN(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        }
    }

    /** Always the most likely token. */
    public static SamplingSettings greedy() {
        return new SamplingSettings(0, 0, 1, 0);
    }
}
