package dev.mixtape.models.train;

import java.util.OptionalDouble;

/**
 * A model measured on a data set.
 *
 * @param loss     mean next-token cross-entropy over the predicted tokens
 * @param tokens   the number of predicted tokens
 * @param accuracy for prompt/completion data, the share of greedy completions equal to the reference
 */
public record Evaluation(double loss, long tokens, OptionalDouble accuracy) {

    /** {@code exp(loss)}. */
    public double perplexity() {
        return Math.exp(loss);
    }
}
