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
 * embeds Mixtape (the setters and {@code run}/{@code resume} are {@link TrainingJob}'s). The held-out data is evaluated before the first step and after the last, a
 * {@link Trainer} runs the steps (checkpoints and metrics in the run folder), and the adapter is
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
public final class FineTuning extends TrainingJob<FineTuning> {
    private final Adapter adapter;

    private FineTuning(Llama model, Adapter adapter, Tokenizer tokenizer) {
        super(model, tokenizer);
        this.adapter = Objects.requireNonNull(adapter, "adapter");
    }

    /**
     * A fine-tuning of {@code adapter}, which must be the active adapter of {@code model} and the only
     * thing in it that requires a gradient (as {@link Adapters#inject} and {@link PeftFiles#load} leave it).
     */
    public static FineTuning of(Llama model, Adapter adapter, Tokenizer tokenizer) {
        return new FineTuning(model, adapter, tokenizer);
    }

    @Override
    TrainingHooks hooks() {
        long seed = seed();
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

    @Override
    void afterRun() {
        Adapters.eval(model);
    }

    /** The adapter in PEFT's format: {@code adapter_config.json} and {@code adapter_model.safetensors}. */
    @Override
    void save(Path runFolder) throws IOException {
        PeftFiles.write(runFolder, adapter);
    }
}
