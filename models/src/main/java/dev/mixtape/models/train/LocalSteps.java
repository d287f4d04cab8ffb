package dev.mixtape.models.train;

import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.optim.Optimizer;

import java.util.List;
import java.util.Map;

/**
 * Where a {@link Trainer} takes its steps in rounds away from its own model: local SGD on a
 * data-parallel driver's workers (the {@code mixtape-spark} module's {@code --sync-every K}). Each
 * worker starts a round from the trainable weights and the optimizer's state as they are, takes the
 * round's steps on its share of each step's micro-batches with an optimizer of its own, and the
 * driver averages what they end with. The trainer keeps the data order, the schedule, the divergence
 * checks, evaluations, checkpoints and metrics; a round ends at each multiple of {@link #roundSteps},
 * at each evaluation and {@code saveEvery} checkpoint and at the last step, so that every evaluation
 * and checkpoint sees averaged weights, and a resumed run's rounds are those of an uninterrupted one.
 * The callbacks' {@link TrainingCallback#beforeStep} run for all of a round's steps before its
 * {@link TrainingCallback#onStep}s.
 */
public interface LocalSteps {

    /** The most steps of a round, at least 2 (one step per round is the synchronous {@link StepGradients}). */
    int roundSteps();

    /**
     * Takes steps {@code firstStep} to {@code firstStep + steps.size() - 1} from the weights in
     * {@code trainable} and the state of {@code optimizer} (neither is changed: the trainer applies the
     * result once it has checked it).
     *
     * @param config the run's settings: its seed, optimizer and clipping
     * @return each step's loss and gradient norm, and the averaged weights and optimizer state
     */
    Round round(int firstStep, List<RoundStep> steps, Map<String, Tensor> trainable, Optimizer optimizer, TrainingConfig config);

    /**
     * One step of a round.
     *
     * @param batches      the step's micro-batches that have something to predict, in the data's order
     * @param weights      each micro-batch's share of the step's predicted tokens
     * @param learningRate the schedule's rate for the step
     */
    record RoundStep(List<Batch> batches, double[] weights, double learningRate) {
    }

    /**
     * What a round did.
     *
     * @param losses         each step's token-weighted mean loss over all workers
     * @param gradNorms      each step's gradient norm before clipping, the workers' token-weighted mean
     * @param weights        the averaged trainable weights, by name as {@code trainable} holds them
     * @param optimizerState the averaged optimizer state, as {@link Optimizer#state()} names it
     * @param stepFigures    each step's figures from the workers' objective (see {@link StepGradients#stepFigures})
     */
    record Round(double[] losses, double[] gradNorms, Map<String, Tensor> weights, Map<String, Tensor> optimizerState,
                 List<Map<String, Double>> stepFigures) {
    }
}
