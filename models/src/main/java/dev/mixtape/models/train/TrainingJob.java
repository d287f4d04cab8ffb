package dev.mixtape.models.train;

import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A training run of whatever in a {@link Llama} requires a gradient, set up step by step and then
 * {@link #run started} or {@link #resume resumed} in a run folder: the entry point for fine-tuning
 * ({@link FineTuning#of}), gate training ({@link GateTraining#of}) and pretraining. The steps are the
 * {@link Trainer}'s loop; what a kind of training adds to it, and what watches it, are
 * {@link TrainingCallback}s.
 * <pre>{@code
 * TrainingResult result = TrainingJob.of(llama, tokenizer)
 *         .data(train, heldOut)
 *         .config(TrainingConfig.builder(300).batchSize(16).build())
 *         .callback(new TrainingCallback() { ... })
 *         .run(Path.of("runs/pretrain"));
 * }</pre>
 * The run folder holds {@value #CHECKPOINT} and {@value #METRICS}, and whatever the callbacks write
 * when the run completes.
 */
public final class TrainingJob {
    /** The checkpoint's file name in the run folder. */
    public static final String CHECKPOINT = "checkpoint.safetensors";
    /** The metrics log's file name in the run folder ({@link MetricsLog}). */
    public static final String METRICS = "metrics.jsonl";

    private final Llama model;
    private final Tokenizer tokenizer;
    private final List<TrainingCallback> callbacks = new ArrayList<>();
    private SequenceSource train;
    private Dataset eval;
    private TrainingConfig config;
    private StopRequest stop = new StopRequest();
    private StepGradients stepGradients;
    private LocalSteps localSteps;

    private TrainingJob(Llama model, Tokenizer tokenizer) {
        this.model = Objects.requireNonNull(model, "model");
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    }

    /** A run training the parameters of {@code model} that require a gradient: all of them for pretraining, or the adapters injected after freezing the base. */
    public static TrainingJob of(Llama model, Tokenizer tokenizer) {
        return new TrainingJob(model, tokenizer);
    }

    /**
     * The training data (a {@link Dataset}, or sequences kept where they were read), and held-out data
     * to evaluate before the first step and after the last (null for none).
     */
    public TrainingJob data(SequenceSource train, Dataset eval) {
        this.train = Objects.requireNonNull(train, "train");
        this.eval = eval;
        return this;
    }

    /** How to train. */
    public TrainingJob config(TrainingConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        return this;
    }

    /** Adds {@code callback}, called after those added before it. */
    public TrainingJob callback(TrainingCallback callback) {
        callbacks.add(Objects.requireNonNull(callback, "callback"));
        return this;
    }

    /** Asks the run to checkpoint and stop early when {@code stop} is requested (Ctrl-C); by default it runs to the end. */
    public TrainingJob stopRequest(StopRequest stop) {
        this.stop = Objects.requireNonNull(stop, "stop");
        return this;
    }

    /**
     * Computes the steps' gradients with {@code gradients} (a data-parallel driver's workers, as
     * {@code mixtape-spark} sets up) instead of on this job's model, which still holds what is trained,
     * checkpointed and written; by default the model computes them.
     */
    public TrainingJob stepGradients(StepGradients gradients) {
        this.stepGradients = Objects.requireNonNull(gradients, "gradients");
        this.localSteps = null;
        return this;
    }

    /**
     * Takes the steps in rounds of local steps on a data-parallel driver's workers ({@link LocalSteps}:
     * local SGD) instead of one synchronous step at a time; replaces {@link #stepGradients}.
     */
    public TrainingJob localSteps(LocalSteps steps) {
        this.localSteps = Objects.requireNonNull(steps, "steps");
        this.stepGradients = null;
        return this;
    }

    /**
     * Trains from the model as it is now; an earlier run's checkpoint and metrics in {@code runFolder} are
     * replaced.
     *
     * @throws TrainingInterruptedException when the {@link #stopRequest} stopped it (checkpointed, resumable)
     * @throws TrainingDivergedException    when a loss, a gradient or the parameters stopped being finite
     */
    public TrainingResult run(Path runFolder) throws IOException {
        return execute(runFolder, false);
    }

    /**
     * Continues the run whose checkpoint is in {@code runFolder}; the model must have been set up as for
     * the first run. The losses are bit for bit those of a run that never stopped. A finished run is not
     * trained again: its callbacks complete it again from its checkpoint, and the result says so.
     *
     * @throws TrainingInterruptedException when the {@link #stopRequest} stopped it (checkpointed, resumable)
     * @throws TrainingDivergedException    when a loss, a gradient or the parameters stopped being finite
     */
    public TrainingResult resume(Path runFolder) throws IOException {
        return execute(runFolder, true);
    }

    private TrainingResult execute(Path runFolder, boolean resume) throws IOException {
        if (train == null || config == null) {
            throw new IllegalStateException("set the data and the training config before running");
        }
        ResultRecorder recorder = new ResultRecorder();
        List<TrainingCallback> all = new ArrayList<>(callbacks);
        all.add(recorder);
        Trainer trainer = new Trainer(model, tokenizer, train, eval, config, runFolder, all, stop, stepGradients, localSteps);
        int firstStep = resume ? trainer.resume() : trainer.train();
        return recorder.result(runFolder, firstStep);
    }

    /**
     * Sums a run up: the held-out evaluations before the first step and after the last (read back from
     * the metrics where this session did not make them: a resumed run, a finished one), and the
     * throughput of the steps this session ran.
     */
    private final class ResultRecorder implements TrainingCallback {
        private Evaluation before;
        private Evaluation after;
        private long tokens;
        private double seconds;

        @Override
        public void onStep(StepMetrics metrics) {
            tokens += metrics.tokens();
            seconds += metrics.tokens() / metrics.tokensPerSecond();
        }

        @Override
        public void onEvaluation(int step, Evaluation evaluation) {
            if (step == 0) {
                before = evaluation;
            }
            after = evaluation;
        }

        TrainingResult result(Path runFolder, int firstStep) throws IOException {
            Path metrics = runFolder.resolve(METRICS);
            if (before == null && eval != null) {
                before = MetricsLog.evaluationAt(metrics, 0).orElse(null);
            }
            if (after == null && eval != null) {
                after = MetricsLog.evaluationAt(metrics, config.steps()).orElse(null);
            }
            return new TrainingResult(runFolder, firstStep, config.steps(), before, after, seconds > 0 ? tokens / seconds : 0);
        }
    }
}
