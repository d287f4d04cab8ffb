package dev.mixtape.spark;

import dev.mixtape.models.train.Batch;
import dev.mixtape.models.train.TrainingSequence;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * One micro-batch of a step on its way to an executor: the {@link Batch}'s rows and its weight, its
 * share of the step's predicted tokens.
 */
record MicroBatch(int[] ids, int[] targets, int size, int length, double weight) implements Serializable {

    static MicroBatch of(Batch batch, double weight) {
        return new MicroBatch(batch.ids(), batch.targets(), batch.size(), batch.length(), weight);
    }

    /**
     * A step's micro-batches in {@code partitions} contiguous shares, the first ones a micro-batch larger
     * where they do not divide evenly (empty ones last, when there are fewer micro-batches than partitions).
     */
    static List<List<MicroBatch>> shares(List<Batch> batches, double[] weights, int partitions) {
        List<List<MicroBatch>> shares = new ArrayList<>(partitions);
        int next = 0;
        for (int p = 0; p < partitions; p++) {
            int count = batches.size() / partitions + (p < batches.size() % partitions ? 1 : 0);
            List<MicroBatch> share = new ArrayList<>(count);
            for (int i = next; i < next + count; i++) {
                share.add(of(batches.get(i), weights[i]));
            }
            next += count;
            shares.add(share);
        }
        return shares;
    }

    /** The positions with a target. */
    long predictedTokens() {
        long predicted = 0;
        for (int target : targets) {
            if (target != TrainingSequence.IGNORE) {
                predicted++;
            }
        }
        return predicted;
    }
}
