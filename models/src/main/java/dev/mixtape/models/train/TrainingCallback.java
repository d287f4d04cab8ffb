package dev.mixtape.models.train;

import dev.mixtape.engine.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * What the training loop calls out to: the one way to add behaviour to a run (adapter dropout, MoLE's
 * balance loss, writing the adapter at the end) or to watch it (progress bars, logs, tests). A
 * {@link TrainingJob} calls its callbacks in the order they were added; every method does nothing by
 * default. In the order a run calls them:
 * <ol>
 * <li>{@link #onStart} once, then for each step {@link #beforeStep}, {@link #objective} for each
 *     micro-batch, {@link #stepFigures} and {@link #onStep};</li>
 * <li>{@link #beforeEvaluation} and {@link #onEvaluation} around each held-out evaluation, and
 *     {@link #onCheckpoint} after each checkpoint but the first (of step 0);</li>
 * <li>{@link #onComplete} once all steps are done and checkpointed, then {@link #onEnd} however the
 *     run ended.</li>
 * </ol>
 * Seeding a step's random choices (dropout masks) from the step number in {@link #beforeStep}, rather
 * than from one generator that runs on, lets a resumed run draw what an uninterrupted one would, with
 * no generator state in the checkpoint.
 */
public interface TrainingCallback {

    /** The run starts (or resumes) before step {@code firstStep + 1} of {@code config.steps()}. */
    default void onStart(int firstStep, TrainingConfig config) {
    }

    /** Step {@code step} (1-based) is about to run: put the model in training mode. */
    default void beforeStep(int step) {
    }

    /**
     * The loss to back-propagate for one micro-batch whose loss so far is {@code loss} (the next-token
     * loss, or what the callbacks before this one made of it); computed just before, so that terms of the
     * same forward pass can be read.
     */
    default Tensor objective(Tensor loss) {
        return loss;
    }

    /** Extra figures for the metrics line of the step just done, by name. */
    default Map<String, Double> stepFigures() {
        return Map.of();
    }

    /** A step is done; its metrics line is on disk. */
    default void onStep(StepMetrics metrics) {
    }

    /** The held-out data is about to be evaluated: put the model in evaluation mode. */
    default void beforeEvaluation() {
    }

    /** The held-out data was evaluated after {@code step} steps. */
    default void onEvaluation(int step, Evaluation evaluation) {
    }

    /** A checkpoint after {@code step} steps is complete on disk. */
    default void onCheckpoint(int step, Path file) {
    }

    /**
     * All steps are done and the last checkpoint is on disk (also when a finished run is resumed): write
     * what was trained into {@code runFolder}, so that a folder's outputs always agree with its checkpoint.
     */
    default void onComplete(Path runFolder) throws IOException {
    }

    /** The run ended, however it ended (completed, stopped, diverged, failed). */
    default void onEnd() {
    }
}
