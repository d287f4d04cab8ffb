package dev.mixtape.models.train;

/**
 * One row of a batch: the ids the model reads and, at each position, the id it should predict
 * next, or {@link #IGNORE} where nothing is to be learned (prompt tokens, padding).
 */
public record TrainingSequence(int[] ids, int[] targets) {
    /** The target that {@code F.crossEntropy} skips, as PyTorch's {@code ignore_index} default. */
    public static final int IGNORE = -100;

    public TrainingSequence {
        if (ids.length == 0 || ids.length != targets.length) {
            throw new IllegalArgumentException(ids.length + " ids with " + targets.length + " targets");
        }
    }

    /** Number of positions. */
    public int length() {
        return ids.length;
    }

    /** Number of positions with a target (not {@link #IGNORE}). */
    public int predictedTokens() {
        int count = 0;
        for (int target : targets) {
            if (target != IGNORE) {
                count++;
            }
        }
        return count;
    }
}
