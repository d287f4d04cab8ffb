package dev.mixtape.spark;

import dev.mixtape.models.train.TrainingSequence;

import java.io.Serializable;

/** A {@link TrainingSequence} as an executor keeps it and sends it to the driver. */
record SequenceRow(int[] ids, int[] targets) implements Serializable {

    static SequenceRow of(TrainingSequence sequence) {
        return new SequenceRow(sequence.ids(), sequence.targets());
    }

    TrainingSequence toSequence() {
        return new TrainingSequence(ids, targets);
    }
}
