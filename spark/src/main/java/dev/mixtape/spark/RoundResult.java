package dev.mixtape.spark;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * What a partition sends back after a round of local SGD.
 *
 * @param losses         each step's micro-batch losses, in order (none for a step it skipped)
 * @param gradNorms      each local step's gradient norm before clipping (0 for a step it skipped)
 * @param weights        its adapter's weights after the round
 * @param optimizerState its optimizer's state after the round ({@code Optimizer.state()})
 * @param figures        each step's figures from its objective after its last micro-batch (empty for a step it skipped)
 */
record RoundResult(double[][] losses, double[] gradNorms, NamedArrays weights, NamedArrays optimizerState,
                   List<LinkedHashMap<String, Double>> figures) implements Serializable {
}
