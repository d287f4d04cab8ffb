package dev.mixtape.spark;

import dev.mixtape.models.train.OptimizerSettings;

import java.io.Serializable;
import java.util.List;

/**
 * What one partition does in a round of local SGD: a local optimizer step on its share of each of the
 * round's steps, from the weights and optimizer state the driver broadcast.
 *
 * @param partition       its index among the round's partitions, the order the driver averages them in
 * @param firstStep       the round's first step, from 1
 * @param seed            the run's seed, which with the step and partition seeds dropout
 * @param steps           its share of each step's micro-batches, in the data's order (empty: it skips that step)
 * @param learningRates   each step's learning rate
 * @param optimizer       the run's optimizer
 * @param clipNorm        the global norm each local step's gradient is clipped to (0: not clipped)
 * @param failingAttempts a test hook: this many first attempts of the partition's task throw, as lost tasks would
 */
record RoundWork(int partition, int firstStep, long seed, List<List<MicroBatch>> steps, double[] learningRates, OptimizerSettings optimizer,
                 double clipNorm, int failingAttempts) implements Serializable {
}
