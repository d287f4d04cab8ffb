package dev.mixtape.models.train;

import java.nio.file.Path;

/** Hears how a {@link Trainer} run goes (progress bars, logs, tests); every method does nothing by default. */
public interface TrainingListener {

    /** The run starts (or resumes) before step {@code firstStep + 1} of {@code totalSteps}. */
    default void onStart(int firstStep, int totalSteps) {
    }

    /** A step is done. */
    default void onStep(StepMetrics metrics) {
    }

    /** The held-out data was evaluated after {@code step} steps. */
    default void onEvaluation(int step, Evaluation evaluation) {
    }

    /** A checkpoint after {@code step} steps is complete on disk. */
    default void onCheckpoint(int step, Path file) {
    }
}
