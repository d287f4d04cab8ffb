package dev.mixtape.models.train;

import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What {@link FineTuning} and {@link GateTraining} share: a {@link Trainer} run over the trainable
 * part of a model, set up step by step ({@link #data}, {@link #config}, {@link #listener}), then
 * {@link #run started} or {@link #resume resumed} in a run folder, where each kind writes what it
 * trained when the run ends.
 *
 * @param <J> the kind of job, so that the setters return it
 */
public abstract sealed class TrainingJob<J extends TrainingJob<J>> permits FineTuning, GateTraining {
    final Llama model;
    final Tokenizer tokenizer;
    private Dataset train;
    private Dataset eval;
    private TrainingConfig config;
    private TrainingListener listener = new TrainingListener() {
    };
    private StopRequest stop = new StopRequest();
    private StepGradients stepGradients;

    TrainingJob(Llama model, Tokenizer tokenizer) {
        this.model = Objects.requireNonNull(model, "model");
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    }

    /** The training data, and held-out data to evaluate before the first step and after the last (null for none). */
    public J data(Dataset train, Dataset eval) {
        this.train = Objects.requireNonNull(train, "train");
        this.eval = eval;
        return self();
    }

    /** How to train. */
    public J config(TrainingConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        return self();
    }

    /** Hears about steps, evaluations and checkpoints (progress bars, logs); none by default. */
    public J listener(TrainingListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
        return self();
    }

    /** Asks the run to checkpoint and stop early when {@code stop} is requested (Ctrl-C); by default it runs to the end. */
    public J stopRequest(StopRequest stop) {
        this.stop = Objects.requireNonNull(stop, "stop");
        return self();
    }

    /**
     * Computes the steps' gradients with {@code gradients} (a data-parallel driver's workers, as
     * {@code mixtape-spark} sets up) instead of on this job's model, which still holds what is trained,
     * checkpointed and written; by default the model computes them.
     */
    public J stepGradients(StepGradients gradients) {
        this.stepGradients = Objects.requireNonNull(gradients, "gradients");
        return self();
    }

    /**
     * Trains from the model as it is now; an earlier run's checkpoint and metrics in {@code runFolder} are
     * replaced. What was trained is written when the run completes.
     *
     * @throws TrainingInterruptedException when the {@link #stopRequest} stopped it (checkpointed, resumable)
     */
    public TrainingResult run(Path runFolder) throws IOException {
        return execute(runFolder, false);
    }

    /**
     * Continues the run whose checkpoint is in {@code runFolder}; the model must have been set up as for
     * the first run. The losses are bit for bit those of a run that never stopped. A finished run is not
     * trained again: what it trained is written again from its checkpoint, and the result says so.
     *
     * @throws TrainingInterruptedException when the {@link #stopRequest} stopped it (checkpointed, resumable)
     */
    public TrainingResult resume(Path runFolder) throws IOException {
        return execute(runFolder, true);
    }

    /** The seed of the data order, which the kind's random choices may build on. */
    long seed() {
        return config.seed();
    }

    /** What this kind adds to the trainer's loop. */
    abstract TrainingHooks hooks();

    /** Called when the run ends, however it ends: put the model back in evaluation mode. */
    void afterRun() {
    }

    /**
     * Writes what was trained into the run folder, after a run that completed (after its last
     * checkpoint, so that the files of a folder that has them always agree with its checkpoint).
     */
    abstract void save(Path runFolder) throws IOException;

    @SuppressWarnings("unchecked")
    private J self() {
        return (J) this;
    }

    private TrainingResult execute(Path runFolder, boolean resume) throws IOException {
        if (train == null || config == null) {
            throw new IllegalStateException("set the data and the training config before running");
        }
        TrainingResult result;
        try {
            result = RecordedRun.execute(model, tokenizer, train, eval, config, runFolder, listener, hooks(), stop, stepGradients, resume);
        } finally {
            afterRun();
        }
        save(runFolder);
        return result;
    }
}
