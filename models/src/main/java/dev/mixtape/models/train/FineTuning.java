package dev.mixtape.models.train;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.engine.Rng;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Fine-tunes one adapter of a {@link Llama}: what {@code ./mixtape finetune} does, for a JVM that
 * embeds Mixtape. The held-out data is evaluated before the first step and after the last, a
 * {@link Trainer} runs the steps (checkpoints, metrics, plot in the run folder), and the adapter is
 * written to the run folder in PEFT's format ({@link PeftFiles}) when training ends.
 * <pre>{@code
 * TrainingResult result = FineTuning.of(llama, adapter, tokenizer)
 *         .data(train, eval)
 *         .config(TrainingConfig.builder(300).batchSize(16).build())
 *         .listener(new TrainingListener() { ... })
 *         .run(Path.of("runs/add"));
 * }</pre>
 * Adapter dropout is on during steps and off during evaluations; the masks of step {@code k} come
 * from a generator seeded by the config's seed and {@code k}, so a resumed run draws the same masks.
 * Nothing here is global: runs on different models can go on in parallel threads.
 */
public final class FineTuning {
    private final Llama model;
    private final Adapter adapter;
    private final Tokenizer tokenizer;
    private Dataset train;
    private Dataset eval;
    private TrainingConfig config;
    private TrainingListener listener = new TrainingListener() {
    };

    private FineTuning(Llama model, Adapter adapter, Tokenizer tokenizer) {
        this.model = Objects.requireNonNull(model, "model");
        this.adapter = Objects.requireNonNull(adapter, "adapter");
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    }

    /**
     * A fine-tuning of {@code adapter}, which must be the active adapter of {@code model} and the only
     * thing in it that requires a gradient (as {@link Adapters#inject} and {@link PeftFiles#load} leave it).
     */
    public static FineTuning of(Llama model, Adapter adapter, Tokenizer tokenizer) {
        return new FineTuning(model, adapter, tokenizer);
    }

    /** The training data, and held-out data to evaluate (null for none). */
    public FineTuning data(Dataset train, Dataset eval) {
        this.train = Objects.requireNonNull(train, "train");
        this.eval = eval;
        return this;
    }

    /** How to train. */
    public FineTuning config(TrainingConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        return this;
    }

    /** Hears about steps, evaluations and checkpoints (progress bars, logs); none by default. */
    public FineTuning listener(TrainingListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /** Trains from the adapter as it is now; an earlier run's checkpoint and metrics in {@code runFolder} are replaced. */
    public TrainingResult run(Path runFolder) throws IOException {
        return execute(runFolder, false);
    }

    /**
     * Continues the run whose checkpoint is in {@code runFolder}; the adapter must have been made as
     * for the first run (same config and names). The losses are bit for bit those of a run that never stopped.
     */
    public TrainingResult resume(Path runFolder) throws IOException {
        return execute(runFolder, true);
    }

    private TrainingResult execute(Path runFolder, boolean resume) throws IOException {
        if (train == null || config == null) {
            throw new IllegalStateException("set the data and the training config before running");
        }
        TrainingResult result;
        try {
            result = RecordedRun.execute(model, tokenizer, train, eval, config, runFolder, listener, dropoutHooks(), resume);
        } finally {
            Adapters.eval(model);
        }
        PeftFiles.write(runFolder, adapter);
        return result;
    }

    private TrainingHooks dropoutHooks() {
        long seed = config.seed();
        return new TrainingHooks() {
            @Override
            public void beforeStep(int step) {
                Adapters.train(model, new Rng(seed ^ (step * 0x9E3779B97F4A7C15L)));
            }

            @Override
            public void beforeEvaluation() {
                Adapters.eval(model);
            }
        };
    }
}
