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
 * embeds Mixtape. {@link #of} sets up a {@link TrainingJob} with this callback, which turns adapter
 * dropout on for each step and off for evaluations, and writes the adapter to the run folder in PEFT's
 * format ({@link PeftFiles}) when training completes.
 * <pre>{@code
 * TrainingResult result = FineTuning.of(llama, adapter, tokenizer)
 *         .data(train, eval)
 *         .config(TrainingConfig.builder(300).batchSize(16).build())
 *         .callback(new TrainingCallback() { ... })
 *         .run(Path.of("runs/add"));
 * }</pre>
 * To train in less memory for more time, call {@code model.checkpointLayers(true)} first
 * ({@link Llama#checkpointLayers}: the same adapter, bit for bit, as {@code finetune --checkpoint-layers}).
 * The dropout masks of step {@code k} come from a generator seeded by the config's seed and {@code k},
 * so a resumed run draws the same masks. Nothing here is global: runs on different models can go on in
 * parallel threads.
 */
public final class FineTuning implements TrainingCallback {
    private final Llama model;
    private final Adapter adapter;
    private long seed;

    private FineTuning(Llama model, Adapter adapter) {
        this.model = model;
        this.adapter = Objects.requireNonNull(adapter, "adapter");
    }

    /**
     * A fine-tuning of {@code adapter}, which must be the active adapter of {@code model} and the only
     * thing in it that requires a gradient (as {@link Adapters#inject} and {@link PeftFiles#load} leave it).
     */
    public static TrainingJob of(Llama model, Adapter adapter, Tokenizer tokenizer) {
        return TrainingJob.of(model, tokenizer).callback(new FineTuning(model, adapter));
    }

    @Override
    public void onStart(int firstStep, TrainingConfig config) {
        seed = config.seed();
    }

    @Override
    public void beforeStep(int step) {
        model.train(new Rng(seed ^ (step * 0x9E3779B97F4A7C15L)));
    }

    @Override
    public void beforeEvaluation() {
        model.eval();
    }

    @Override
    public void onEnd() {
        model.eval();
    }

    /** The adapter in PEFT's format: {@code adapter_config.json} and {@code adapter_model.safetensors}. */
    @Override
    public void onComplete(Path runFolder) throws IOException {
        PeftFiles.write(runFolder, adapter);
    }
}
