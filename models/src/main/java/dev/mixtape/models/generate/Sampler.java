package dev.mixtape.models.generate;

import dev.mixtape.engine.Rng;

import java.util.Arrays;

/**
 * Picks token ids from logits: greedy, or temperature sampling restricted by top-k and top-p
 * (nucleus). One sampler holds one seeded random stream; use one per generation.
 */
public final class Sampler {
    private final SamplingSettings settings;
    private final Rng rng;

    public Sampler(SamplingSettings settings) {
        this.settings = settings;
        this.rng = new Rng(settings.seed());
    }

    /** The next token for one row of logits (not modified). */
    public int next(float[] logits) {
        if (settings.temperature() == 0) {
            return argmax(logits);
        }
        int n = logits.length;
        Integer[] order = new Integer[n];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            order[i] = i;
            max = Math.max(max, logits[i]);
        }
        double[] probs = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            probs[i] = Math.exp((logits[i] - max) / settings.temperature());
            sum += probs[i];
        }
        for (int i = 0; i < n; i++) {
            probs[i] /= sum;
        }
        Arrays.sort(order, (a, b) -> Double.compare(probs[b], probs[a]));
        int keep = settings.topK() > 0 ? Math.min(settings.topK(), n) : n;
        double cumulative = 0;
        for (int i = 0; i < keep; i++) {
            cumulative += probs[order[i]];
            if (cumulative >= settings.topP()) {
                keep = i + 1;
                break;
            }
        }
        double mass = 0;
        for (int i = 0; i < keep; i++) {
            mass += probs[order[i]];
        }
        double r = rng.nextDouble() * mass;
        for (int i = 0; i < keep; i++) {
            r -= probs[order[i]];
            if (r <= 0) {
                return order[i];
            }
        }
        return order[keep - 1];
    }

    /** Index of the largest logit (the first one on ties). */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
