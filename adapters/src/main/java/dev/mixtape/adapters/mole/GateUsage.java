package dev.mixtape.adapters.mole;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How one gate has weighed the experts over the forward passes since {@link Mole#resetExplanation()}:
 * what {@link Mole#explanation()} reports.
 *
 * @param gate        the gate's name, its group's dotted module name ({@code ""} for the whole network)
 * @param layers      the adapted matrices that share it
 * @param meanWeights each expert's mean weight over those rows, in expert order (after masking; NaN before any row)
 * @param rows        how many rows were weighed: tokens, or sequences with {@link Pooling#MEAN}
 */
public record GateUsage(String gate, List<String> layers, Map<String, Double> meanWeights, long rows) {
    /** Keeps unmodifiable copies. */
    public GateUsage {
        layers = List.copyOf(layers);
        meanWeights = Collections.unmodifiableMap(new LinkedHashMap<>(meanWeights));
    }
}
