package dev.mixtape.models.train;

import dev.mixtape.engine.Rng;

import java.util.ArrayList;
import java.util.List;

/**
 * A data file's records split into training and held-out records when no separate evaluation file
 * is given: a tenth of the records (at most {@value #MOST_HELD_OUT}) drawn by a seeded shuffle, so the
 * split is the same on every run with the same seed. A single record cannot be split: it is all
 * training data, and nothing is held out.
 *
 * @param train    the records to train on, in file order
 * @param heldOut  the records to evaluate on, in file order
 */
public record HeldOutSplit(List<DataRecord> train, List<DataRecord> heldOut) {
    private static final int MOST_HELD_OUT = 200;

    /** Splits {@code records} with the shuffle seeded by {@code seed}. */
    public static HeldOutSplit of(List<DataRecord> records, long seed) {
        int count = records.size() < 2 ? 0 : Math.clamp(records.size() / 10, 1, MOST_HELD_OUT);
        int[] order = new int[records.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Rng rng = new Rng(seed);
        for (int i = order.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        boolean[] held = new boolean[records.size()];
        for (int i = 0; i < count; i++) {
            held[order[i]] = true;
        }
        List<DataRecord> train = new ArrayList<>();
        List<DataRecord> heldOut = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            (held[i] ? heldOut : train).add(records.get(i));
        }
        return new HeldOutSplit(List.copyOf(train), List.copyOf(heldOut));
    }
}
