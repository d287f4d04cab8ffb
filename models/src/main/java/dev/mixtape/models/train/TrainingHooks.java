package dev.mixtape.models.train;

import dev.mixtape.engine.Tensor;

import java.util.Map;

/**
 * What a kind of training adds to a {@link Trainer}'s loop, which by itself minimises the model's
 * next-token loss over the trainable parameters. Every method does nothing by default.
 * <ul>
 * <li>{@link #beforeStep} and {@link #beforeEvaluation} switch the model between training mode (where
 *     layers such as adapter dropout draw random masks) and evaluation mode. Seeding the masks from the
 *     step number, rather than from one generator that runs on, lets a resumed run draw the very masks
 *     an uninterrupted one would, with no generator state in the checkpoint.</li>
 * <li>{@link #objective} adds terms to the loss that is back-propagated (MoLE's balance loss).</li>
 * <li>{@link #stepFigures} adds figures to the step's metrics line (MoLE's gate entropy).</li>
 * </ul>
 */
public interface TrainingHooks {
    /** Hooks that add nothing: plain training of a model without training-only behaviour. */
    TrainingHooks NONE = new TrainingHooks() {
    };

    /** Called before step {@code step} (1-based): put the model in training mode. */
    default void beforeStep(int step) {
    }

    /** Called before each evaluation: put the model in evaluation mode. */
    default void beforeEvaluation() {
    }

    /**
     * The loss to back-propagate for one micro-batch whose next-token loss is {@code taskLoss}
     * (computed just before, so that terms of the same forward pass can be read).
     */
    default Tensor objective(Tensor taskLoss) {
        return taskLoss;
    }

    /** Extra figures for the metrics line of the step just done, by name. */
    default Map<String, Double> stepFigures() {
        return Map.of();
    }
}
