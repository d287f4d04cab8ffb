package dev.mixtape.models.train;

import java.util.List;

/**
 * The training sequences a {@link Trainer} draws its batches from, by index: a {@link Dataset} in this
 * JVM's memory, or data that stays where it was read (a Spark cluster's executors, for a data set larger
 * than the driver's memory), of which the trainer fetches only each step's rows.
 */
public interface SequenceSource {

    /** What the data came from, for messages. */
    String source();

    /** How many sequences there are; the trainer's shuffled order runs over their indices. */
    int size();

    /** The length of the longest sequence, which must fit the model's positions. */
    int longestSequence();

    /** The sequences at {@code indices} (each below {@link #size()}), in that order. */
    List<TrainingSequence> fetch(int[] indices);
}
