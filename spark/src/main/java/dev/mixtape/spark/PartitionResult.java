package dev.mixtape.spark;

import java.io.Serializable;

/**
 * What a partition sends back to the driver: its micro-batches' losses, in order, and the gradient of
 * their weighted sum with respect to each adapter parameter.
 */
record PartitionResult(int partition, double[] losses, NamedArrays gradients) implements Serializable {
}
