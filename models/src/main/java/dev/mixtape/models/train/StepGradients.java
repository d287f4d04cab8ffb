package dev.mixtape.models.train;

import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.optim.TrainingStep;

import java.util.List;
import java.util.Map;

/**
 * Where a {@link Trainer} gets a step's gradients when they are not computed on its own model: a
 * data-parallel driver (the {@code mixtape-spark} module) hands the micro-batches to workers and adds
 * the gradients they send back into the trainable parameters. The trainer keeps everything else: the
 * data order, the schedule, the divergence checks, clipping, the optimizer step, checkpoints and
 * metrics, so a run is driven the same way wherever its gradients come from.
 */
@FunctionalInterface
public interface StepGradients {
    /**
     * Adds to the trainable parameters' gradients, through {@code into}'s
     * {@link TrainingStep#addGradients} (one gradient per entry of {@code trainable}, in its order), the
     * gradient of {@code Σ weights[i] · loss(batches[i])}, each loss the mean next-token loss of its
     * micro-batch, as the trainer's own loop would. Nothing is updated.
     *
     * @param step      the step, from 1; with {@code seed}, what seeds training-time randomness (dropout)
     * @param seed      the run's seed
     * @param batches   the step's micro-batches that have something to predict, in the data's order
     * @param weights   each micro-batch's share of the step's predicted tokens
     * @param trainable the trainable parameters by name, holding the weights of this step
     * @return each micro-batch's loss, in order (the trainer checks them before it clips and steps)
     */
    double[] accumulate(int step, long seed, List<Batch> batches, double[] weights, Map<String, Tensor> trainable, TrainingStep into);

    /**
     * The figures the workers' objective gave for the step just accumulated (MoLE's balance loss and gate
     * entropy, of the step's last micro-batch, as the callbacks give them on one machine); when there are
     * any, they replace the callbacks' own in that step's metrics, the callbacks' model not having run
     * the step. None by default.
     */
    default Map<String, Double> stepFigures() {
        return Map.of();
    }
}
