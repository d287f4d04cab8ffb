package dev.mixtape.spark;

import dev.mixtape.models.train.Batch;

import java.io.Serializable;

/**
 * One micro-batch of a step on its way to an executor: the {@link Batch}'s rows and its weight, its
 * share of the step's predicted tokens.
 */
record MicroBatch(int[] ids, int[] targets, int size, int length, double weight) implements Serializable {

    static MicroBatch of(Batch batch, double weight) {
        return new MicroBatch(batch.ids(), batch.targets(), batch.size(), batch.length(), weight);
    }
}
