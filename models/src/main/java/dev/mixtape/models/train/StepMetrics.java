package dev.mixtape.models.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one optimizer step did.
 *
 * @param step            the step's number, from 1
 * @param loss            mean cross-entropy over the step's predicted tokens
 * @param learningRate    the rate the step used
 * @param gradNorm        global gradient norm before clipping
 * @param tokens          real (unpadded) positions the step read
 * @param tokensPerSecond {@code tokens} over the step's wall time
 * @param extra           figures the {@link TrainingCallback}s add (MoLE's gate entropy), by name
 */
public record StepMetrics(int step, double loss, double learningRate, double gradNorm, long tokens, double tokensPerSecond,
                          Map<String, Double> extra) {

    /** Copies {@code extra}, keeping its order. */
    public StepMetrics {
        extra = Collections.unmodifiableMap(new LinkedHashMap<>(extra));
    }
}
