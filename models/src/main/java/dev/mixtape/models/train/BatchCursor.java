package dev.mixtape.models.train;

import dev.mixtape.engine.Rng;

/**
 * Walks a data set batch by batch, epoch after epoch, in a seeded random order: the order of epoch
 * {@code e} is a Fisher–Yates shuffle drawn from a generator seeded with a mix of the seed and
 * {@code e}. That seed and the {@link DataPosition} are the whole state, so a run can be stopped and
 * continued from them exactly. An epoch's last batch is smaller when the size does not divide.
 */
final class BatchCursor {
    private static final long EPOCH_MIX = 0x9E3779B97F4A7C15L;

    private final int datasetSize;
    private final int batchSize;
    private final long seed;
    private int epoch;
    private int batch;
    private int[] order;

    BatchCursor(int datasetSize, int batchSize, long seed) {
        if (datasetSize < 1 || batchSize < 1) {
            throw new IllegalArgumentException("need at least one sequence and a batch size >= 1, got " + datasetSize + " and " + batchSize);
        }
        this.datasetSize = datasetSize;
        this.batchSize = batchSize;
        this.seed = seed;
        this.order = permutation(0);
    }

    /** The position reached: the next batch is batch {@code batch()} of epoch {@code epoch()}. */
    DataPosition position() {
        return new DataPosition(epoch, batch);
    }

    /** Moves to {@code position}, as returned by {@link #position()} of a cursor over the same data. */
    void seek(DataPosition position) {
        if (position.epoch() < 0 || position.batch() < 0 || position.batch() >= batchesPerEpoch()) {
            throw new IllegalArgumentException("data position " + position + " is outside " + batchesPerEpoch() + " batches per epoch");
        }
        epoch = position.epoch();
        batch = position.batch();
        order = permutation(epoch);
    }

    /** The indices of the next batch's sequences; moves on. */
    int[] next() {
        int from = batch * batchSize;
        int to = Math.min(from + batchSize, datasetSize);
        int[] indices = new int[to - from];
        System.arraycopy(order, from, indices, 0, indices.length);
        batch++;
        if (batch == batchesPerEpoch()) {
            epoch++;
            batch = 0;
            order = permutation(epoch);
        }
        return indices;
    }

    private int batchesPerEpoch() {
        return (datasetSize + batchSize - 1) / batchSize;
    }

    private int[] permutation(int forEpoch) {
        Rng rng = new Rng(seed + forEpoch * EPOCH_MIX);
        int[] indices = new int[datasetSize];
        for (int i = 0; i < datasetSize; i++) {
            indices[i] = i;
        }
        for (int i = datasetSize - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int swap = indices[i];
            indices[i] = indices[j];
            indices[j] = swap;
        }
        return indices;
    }
}
