package dev.mixtape.spark;

import java.io.Serializable;
import java.util.List;

/**
 * What one partition computes in a step: the gradient of its micro-batches' weighted losses.
 *
 * @param partition       its index among the step's partitions, the order the driver sums them in
 * @param step            the step, from 1
 * @param seed            the run's seed, which with the step and partition seeds dropout
 * @param batches         its share of the step's micro-batches, in the data's order
 * @param failingAttempts a test hook: this many first attempts of the partition's task throw, as lost tasks would
 */
record PartitionWork(int partition, int step, long seed, List<MicroBatch> batches, int failingAttempts) implements Serializable {
}
