package dev.mixtape.spark;

import java.io.Serializable;
import java.util.LinkedHashMap;

/**
 * What a partition sends back to the driver: its micro-batches' losses, in order, the gradient of
 * their weighted objectives' sum with respect to each trained parameter, and the figures its objective
 * gave after its last micro-batch (MoLE's balance loss and gate entropy).
 */
record PartitionResult(int partition, double[] losses, NamedArrays gradients, LinkedHashMap<String, Double> figures) implements Serializable {
}
