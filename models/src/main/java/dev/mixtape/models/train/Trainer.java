package dev.mixtape.models.train;

import dev.mixtape.engine.StepMemory;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.io.AtomicFile;
import dev.mixtape.engine.optim.GradClip;
import dev.mixtape.engine.optim.Optimizer;
import dev.mixtape.engine.optim.TrainingStep;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Trains the parameters of a {@link Llama} that require a gradient, whatever they are: all of them
 * for pretraining, or only the adapters a caller injected after freezing the base. One step:
 * <ol>
 * <li>the learning rate of the step from the schedule;</li>
 * <li>{@code gradientAccumulation} micro-batches from the shuffled data, each's loss scaled by its
 *     share of the step's predicted tokens and back-propagated, so the gradients add up to those of
 *     the token-weighted mean loss of the whole step;</li>
 * <li>a loss or gradient norm that is NaN or infinite stops the run with a
 *     {@link TrainingDivergedException} naming the step, before anything is updated (and so do
 *     parameters that an update made non-finite, found before they would be checkpointed, so that
 *     every checkpoint holds finite values);</li>
 * <li>global-norm clipping, the optimizer step, gradients cleared.</li>
 * </ol>
 * Every {@code evalEvery} steps (and before the first and after the last) the held-out data is
 * {@link Evaluator evaluated}, with the model switched to evaluation mode by the {@link TrainingCallback}s
 * and back to training mode at the next step. Runs are set up and started through a {@link TrainingJob}.
 * A step's gradients may come from a data-parallel driver's workers ({@link StepGradients}), or the
 * steps may be taken in rounds of local steps on them ({@link LocalSteps}).
 *
 * <p>The run folder holds {@value TrainingJob#CHECKPOINT} and {@value TrainingJob#METRICS} (see
 * {@link MetricsLog}). The checkpoint is the run's state: a new run writes one of step 0 before anything else, then one when
 * the {@link CheckpointTiming} says so, when a {@link StopRequest} asks for it and after the last step, each replacing the last atomically. The metrics of a step are on
 * disk before its checkpoint, so however the process dies (even {@code kill -9}), the folder holds a
 * whole checkpoint of some step k and the metrics of steps 1 to k (with perhaps lines of later steps,
 * which {@link #resume()} drops), or, before the first checkpoint, nothing but temporary files, which
 * the next run deletes. {@link #resume()} continues from the checkpoint so that the losses that
 * follow are bit for bit those of a run that never stopped.
 */
final class Trainer {
    private static final String CHECKPOINT = TrainingJob.CHECKPOINT;
    private static final String METRICS = TrainingJob.METRICS;

    private final Llama model;
    private final Tokenizer tokenizer;
    private final SequenceSource train;
    private final Dataset eval;
    private final TrainingConfig config;
    private final Path runFolder;
    private final List<TrainingCallback> callbacks;
    private final SpecialIds special;
    private final Map<String, Tensor> trainable = new LinkedHashMap<>();
    private final Optimizer optimizer;
    private final TrainingStep trainingStep;
    /** Each step's tensors, recycled into the next step ({@link StepMemory}). */
    private final StepMemory memory;
    private final CheckpointTiming timing;
    private final StopRequest stop;
    /** Where the steps' gradients come from; null: this trainer's own model. */
    private final StepGradients stepGradients;
    /** Takes the steps in rounds on workers (local SGD); null: one step at a time. */
    private final LocalSteps localSteps;
    private int lastCheckpointStep = -1;

    /**
     * A trainer; nothing runs until {@link #train()} or {@link #resume()}.
     *
     * @param eval      held-out data, or null for none
     * @param runFolder where the checkpoint and metrics go (created if needed)
     * @param callbacks what this kind of training adds (training/evaluation modes, loss terms, figures,
     *                  outputs) and what watches it, called in this order
     * @param stop      asks the run to checkpoint and stop early
     * @param stepGradients where the steps' gradients come from (a data-parallel driver's workers, which
     *                  then apply the callbacks' {@link TrainingCallback#objective} themselves), or null
     *                  for {@code model}, which in any case holds what is stepped, checkpointed and evaluated
     * @param localSteps takes the steps in rounds of local steps on workers, or null (then {@code stepGradients} decides)
     */
    Trainer(Llama model, Tokenizer tokenizer, SequenceSource train, Dataset eval, TrainingConfig config, Path runFolder,
            List<TrainingCallback> callbacks, StopRequest stop, StepGradients stepGradients, LocalSteps localSteps) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.train = train;
        this.eval = eval;
        this.config = config;
        this.runFolder = runFolder;
        this.callbacks = List.copyOf(callbacks);
        this.stop = stop;
        this.stepGradients = stepGradients;
        this.localSteps = localSteps;
        this.timing = new CheckpointTiming(config.saveEvery());
        this.special = SpecialIds.of(tokenizer, model.config());
        model.namedParameters().forEach((name, tensor) -> {
            if (tensor.requiresGrad()) {
                trainable.put(name, tensor);
            }
        });
        if (trainable.isEmpty()) {
            throw new IllegalArgumentException("the model has no parameter that requires a gradient: nothing to train");
        }
        for (SequenceSource data : eval == null ? List.of(train) : List.of(train, eval)) {
            int longest = data.longestSequence();
            if (longest > model.config().maxPositions()) {
                throw new IllegalArgumentException(data.source() + ": sequences of " + longest + " tokens exceed the model's "
                        + model.config().maxPositions() + " positions; lower the sequence length");
            }
        }
        this.optimizer = config.optimizer().create(new ArrayList<>(trainable.values()));
        this.trainingStep = new TrainingStep(optimizer, config.clipNorm());
        this.memory = model.backend().stepMemory();
    }

    /**
     * Trains from the model as it is, for {@code steps} steps; an earlier run's checkpoint and metrics in
     * the folder are replaced.
     *
     * @return 0, the steps the run had taken before this call
     * @throws TrainingInterruptedException when the {@link StopRequest} stopped the run (checkpointed)
     */
    int train() throws IOException {
        try {
            Files.createDirectories(runFolder);
            AtomicFile.deleteLeftovers(runFolder);
            BatchCursor cursor = new BatchCursor(train.size(), config.batchSize(), config.seed());
            callbacks.forEach(callback -> callback.onStart(0, config));
            checkpoint(0, cursor);
            start(cursor);
            complete();
            return 0;
        } finally {
            callbacks.forEach(TrainingCallback::onEnd);
        }
    }

    /**
     * Continues the run whose checkpoint is in the run folder: restores the trainable parameters, the
     * optimizer state and the data position, then trains the remaining steps (none, if the run was
     * finished). The model must be the one the run started from (same frozen weights, same trainable
     * parameter names), and the config's settings those of the run.
     *
     * @return the steps the run had taken before this call; {@code steps} if it was finished
     * @throws TrainingInterruptedException when the {@link StopRequest} stopped the run (checkpointed)
     */
    int resume() throws IOException {
        try {
            Path file = runFolder.resolve(CHECKPOINT);
            if (!Files.isRegularFile(file)) {
                throw new IOException(runFolder + " holds no run to resume (no " + CHECKPOINT + ")");
            }
            AtomicFile.deleteLeftovers(runFolder);
            TrainingCheckpoint.Resumed resumed = TrainingCheckpoint.restore(file, trainable, optimizer, settings());
            int step = resumed.step();
            lastCheckpointStep = step;
            if (step > config.steps()) {
                throw new IOException(file + ": the run has taken " + step + " steps, more than this one's " + config.steps());
            }
            if (step < config.steps()) {
                BatchCursor cursor = new BatchCursor(train.size(), config.batchSize(), config.seed());
                cursor.seek(resumed.position());
                callbacks.forEach(callback -> callback.onStart(step, config));
                if (step == 0) {
                    start(cursor);
                } else {
                    try (MetricsLog metrics = MetricsLog.resume(runFolder.resolve(METRICS), step)) {
                        run(step, cursor, metrics);
                    }
                }
            }
            complete();
            return step;
        } finally {
            callbacks.forEach(TrainingCallback::onEnd);
        }
    }

    private void complete() throws IOException {
        for (TrainingCallback callback : callbacks) {
            callback.onComplete(runFolder);
        }
    }

    /** Trains from a checkpoint of step 0: a new metrics log, the evaluation before the first step, then the steps. */
    private void start(BatchCursor cursor) throws IOException {
        try (MetricsLog metrics = MetricsLog.start(runFolder.resolve(METRICS))) {
            if (eval != null) {
                evaluate(0, metrics);
            }
            run(0, cursor, metrics);
        }
    }

    private void run(int firstStep, BatchCursor cursor, MetricsLog metrics) throws IOException {
        if (stop.isRequested()) {
            throw new TrainingInterruptedException(firstStep, runFolder.resolve(CHECKPOINT));
        }
        int step = firstStep;
        while (step < config.steps()) {
            List<StepMetrics> steps = localSteps == null ? List.of(step(step + 1, cursor)) : round(step + 1, roundEnd(step), cursor);
            for (StepMetrics done : steps) {
                metrics.step(done);
                callbacks.forEach(callback -> callback.onStep(done));
            }
            step = steps.getLast().step();
            boolean last = step == config.steps();
            if (eval != null && (last || (config.evalEvery() > 0 && step % config.evalEvery() == 0))) {
                evaluate(step, metrics);
            }
            boolean stopping = stop.isRequested() && !last;
            if (last || stopping || timing.due(step)) {
                checkpoint(step, cursor);
            }
            if (stopping) {
                throw new TrainingInterruptedException(step, runFolder.resolve(CHECKPOINT));
            }
        }
    }

    /**
     * Writes the checkpoint of {@code step} (after checking that the parameters are finite), replacing the
     * last one. The first, of step 0, is not timed for the {@link CheckpointTiming}: it pays for loading
     * and compiling the writer, and would space the next ones out far more than their cost asks.
     */
    private void checkpoint(int step, BatchCursor cursor) throws IOException {
        double parameterNorm = GradClip.globalNorm(List.copyOf(trainable.values()));
        if (!Double.isFinite(parameterNorm)) {
            throw diverged(step, "norm of the updated parameters", parameterNorm);
        }
        Path file = runFolder.resolve(CHECKPOINT);
        if (step == 0) {
            TrainingCheckpoint.write(file, trainable, optimizer, step, cursor.position(), settings());
        } else {
            timing.save(() -> TrainingCheckpoint.write(file, trainable, optimizer, step, cursor.position(), settings()));
            callbacks.forEach(callback -> callback.onCheckpoint(step, file));
        }
        lastCheckpointStep = step;
    }

    /** One optimizer step in a {@link StepMemory} step: nothing it allocates outlives it but the optimizer's state. */
    private StepMetrics step(int step, BatchCursor cursor) {
        try (StepMemory.Step open = memory.open()) {
            return optimizerStep(step, cursor);
        }
    }

    private StepMetrics optimizerStep(int step, BatchCursor cursor) {
        long start = System.nanoTime();
        callbacks.forEach(callback -> callback.beforeStep(step));
        double learningRate = config.schedule().lr(step - 1);
        optimizer.setLr(learningRate);
        List<Batch> batches = nextBatches(cursor);
        long predicted = batches.stream().mapToLong(Batch::predictedTokens).sum();
        long tokens = batches.stream().mapToLong(Batch::tokens).sum();
        double loss = stepGradients == null ? localGradients(step, batches, predicted) : remoteGradients(step, batches, predicted);
        double gradNorm = trainingStep.clip();
        if (!Double.isFinite(gradNorm)) {
            throw diverged(step, "gradient norm", gradNorm);
        }
        trainingStep.update();
        double seconds = (System.nanoTime() - start) / 1e9;
        return new StepMetrics(step, loss, learningRate, gradNorm, tokens, tokens / Math.max(seconds, 1e-9),
                stepFigures(stepGradients == null ? Map.of() : stepGradients.stepFigures()));
    }

    /** The step's {@code gradientAccumulation} micro-batches from the shuffled data, their rows fetched at once. */
    private List<Batch> nextBatches(BatchCursor cursor) {
        List<int[]> picks = new ArrayList<>();
        for (int i = 0; i < config.gradientAccumulation(); i++) {
            picks.add(cursor.next());
        }
        List<TrainingSequence> rows = train.fetch(picks.stream().flatMapToInt(IntStream::of).toArray());
        List<Batch> batches = new ArrayList<>();
        int next = 0;
        for (int[] pick : picks) {
            batches.add(Batch.of(rows.subList(next, next + pick.length), special.eos()));
            next += pick.length;
        }
        return batches;
    }

    /**
     * The last step of the round that follows {@code step}: the next multiple of the round's steps, of
     * {@code evalEvery} (with held-out data) or of {@code saveEvery}, or the last step, whichever comes
     * first. Fixed by the config alone, so a resumed run's rounds are an uninterrupted run's.
     */
    private int roundEnd(int step) {
        int end = Math.min(config.steps(), nextMultiple(step, localSteps.roundSteps()));
        if (eval != null && config.evalEvery() > 0) {
            end = Math.min(end, nextMultiple(step, config.evalEvery()));
        }
        if (config.saveEvery() > 0) {
            end = Math.min(end, nextMultiple(step, config.saveEvery()));
        }
        return end;
    }

    private static int nextMultiple(int step, int every) {
        return (step / every + 1) * every;
    }

    /**
     * Steps {@code first} to {@code last} as one round of the {@link LocalSteps}, in a {@link StepMemory}
     * step: each step's micro-batches drawn as {@link #optimizerStep} draws them, the round's losses and
     * gradient norms checked step by step, and only then its averaged weights and optimizer state applied.
     */
    private List<StepMetrics> round(int first, int last, BatchCursor cursor) {
        try (StepMemory.Step open = memory.open()) {
            long start = System.nanoTime();
            List<LocalSteps.RoundStep> steps = new ArrayList<>();
            long tokens = 0;
            long[] stepTokens = new long[last - first + 1];
            for (int step = first; step <= last; step++) {
                int current = step;
                callbacks.forEach(callback -> callback.beforeStep(current));
                List<Batch> batches = nextBatches(cursor);
                long predicted = batches.stream().mapToLong(Batch::predictedTokens).sum();
                List<Batch> predicting = batches.stream().filter(batch -> batch.predictedTokens() > 0).toList();
                double[] weights = predicting.stream().mapToDouble(batch -> (double) batch.predictedTokens() / predicted).toArray();
                steps.add(new LocalSteps.RoundStep(predicting, weights, config.schedule().lr(step - 1)));
                stepTokens[step - first] = batches.stream().mapToLong(Batch::tokens).sum();
                tokens += stepTokens[step - first];
            }
            LocalSteps.Round round = localSteps.round(first, steps, Collections.unmodifiableMap(trainable), optimizer, config);
            for (int i = 0; i < steps.size(); i++) {
                if (!Double.isFinite(round.losses()[i])) {
                    throw diverged(first + i, "loss", round.losses()[i]);
                }
                if (!Double.isFinite(round.gradNorms()[i])) {
                    throw diverged(first + i, "gradient norm", round.gradNorms()[i]);
                }
            }
            trainable.forEach((name, tensor) -> tensor.assign(round.weights().get(name)));
            optimizer.loadState(round.optimizerState());
            double tokensPerSecond = tokens / Math.max((System.nanoTime() - start) / 1e9, 1e-9);
            List<StepMetrics> done = new ArrayList<>();
            for (int i = 0; i < steps.size(); i++) {
                done.add(new StepMetrics(first + i, round.losses()[i], steps.get(i).learningRate(), round.gradNorms()[i], stepTokens[i],
                        tokensPerSecond, stepFigures(round.stepFigures().get(i))));
            }
            return done;
        }
    }

    /** Back-propagates the micro-batches' token-weighted losses through this trainer's model; returns the step's loss. */
    private double localGradients(int step, List<Batch> batches, long predicted) {
        double loss = 0;
        for (Batch batch : batches) {
            if (batch.predictedTokens() == 0) {
                continue;
            }
            double weight = (double) batch.predictedTokens() / predicted;
            Tensor batchLoss = model.loss(batch.ids(), batch.targets(), batch.size(), batch.length(), TrainingSequence.IGNORE);
            double value = batchLoss.item();
            if (!Double.isFinite(value)) {
                throw diverged(step, "loss", value);
            }
            trainingStep.backward(objective(batchLoss), weight);
            loss += weight * value;
        }
        return loss;
    }

    /** Has the {@link StepGradients} add the micro-batches' gradients, weighted as {@link #localGradients} weighs them; returns the step's loss. */
    private double remoteGradients(int step, List<Batch> batches, long predicted) {
        List<Batch> predicting = batches.stream().filter(batch -> batch.predictedTokens() > 0).toList();
        double[] weights = predicting.stream().mapToDouble(batch -> (double) batch.predictedTokens() / predicted).toArray();
        double[] losses = stepGradients.accumulate(step, config.seed(), predicting, weights, Collections.unmodifiableMap(trainable),
                trainingStep);
        double loss = 0;
        for (int i = 0; i < losses.length; i++) {
            if (!Double.isFinite(losses[i])) {
                throw diverged(step, "loss", losses[i]);
            }
            loss += weights[i] * losses[i];
        }
        return loss;
    }

    /** A micro-batch's objective: its next-token loss, with what each callback adds, in order. */
    private Tensor objective(Tensor taskLoss) {
        Tensor objective = taskLoss;
        for (TrainingCallback callback : callbacks) {
            objective = callback.objective(objective);
        }
        return objective;
    }

    /**
     * The figures for the step's metrics line: the callbacks', or those the workers computed
     * ({@code remote}, when there are any), in place of theirs: the callbacks' model did not run the step.
     */
    private Map<String, Double> stepFigures(Map<String, Double> remote) {
        if (!remote.isEmpty()) {
            return remote;
        }
        Map<String, Double> figures = new LinkedHashMap<>();
        callbacks.forEach(callback -> figures.putAll(callback.stepFigures()));
        return figures;
    }

    private TrainingDivergedException diverged(int step, String quantity, double value) {
        trainingStep.discard();
        return new TrainingDivergedException(step, quantity, value,
                lastCheckpointStep < 0 ? null : runFolder.resolve(CHECKPOINT) + " (after step " + lastCheckpointStep + ")");
    }

    private void evaluate(int step, MetricsLog metrics) throws IOException {
        callbacks.forEach(TrainingCallback::beforeEvaluation);
        Evaluation evaluation = Evaluator.evaluate(model, tokenizer, eval, special, config.batchSize());
        metrics.evaluation(step, evaluation);
        callbacks.forEach(callback -> callback.onEvaluation(step, evaluation));
    }

    /**
     * What a resumed run must share with the checkpoint's run: the caller's settings, then what gives the
     * checkpoint's data position its meaning. (The schedule, the optimizer's settings and the number of
     * steps may change, to continue a run that diverged more gently, unless the caller's settings hold them.)
     */
    private Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>(config.settings());
        settings.put("seed", Long.toString(config.seed()));
        settings.put("batch_size", Integer.toString(config.batchSize()));
        settings.put("gradient_accumulation", Integer.toString(config.gradientAccumulation()));
        settings.put("sequences", Integer.toString(train.size()));
        return settings;
    }
}
