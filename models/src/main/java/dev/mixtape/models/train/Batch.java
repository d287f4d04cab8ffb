package dev.mixtape.models.train;

import java.util.Arrays;
import java.util.List;

/**
 * Sequences stacked row-major into {@code [size, length]} for one forward pass (a micro-batch). Rows
 * shorter than the longest are padded at the end with a pad id and {@link TrainingSequence#IGNORE}
 * targets; under causal attention the padding changes nothing before it.
 *
 * @param tokens          real (unpadded) positions
 * @param predictedTokens positions with a target
 */
public record Batch(int[] ids, int[] targets, int size, int length, int tokens, int predictedTokens) {

    /** {@code rows} padded with {@code padId} to the longest of them. */
    static Batch of(List<TrainingSequence> rows, int padId) {
        int length = rows.stream().mapToInt(TrainingSequence::length).max().orElseThrow();
        int[] ids = new int[rows.size() * length];
        int[] targets = new int[rows.size() * length];
        Arrays.fill(ids, padId);
        Arrays.fill(targets, TrainingSequence.IGNORE);
        int tokens = 0;
        int predicted = 0;
        for (int r = 0; r < rows.size(); r++) {
            TrainingSequence row = rows.get(r);
            System.arraycopy(row.ids(), 0, ids, r * length, row.length());
            System.arraycopy(row.targets(), 0, targets, r * length, row.length());
            tokens += row.length();
            predicted += row.predictedTokens();
        }
        return new Batch(ids, targets, rows.size(), length, tokens, predicted);
    }
}
