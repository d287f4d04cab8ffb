package dev.mixtape.spark;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.train.FineTuning;
import dev.mixtape.models.train.TrainingJob;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.IOException;

/**
 * Fine-tuning an adapter with its gradients computed on a Spark cluster: the {@link TrainingJob} of a
 * {@link FineTuning}, set up and run as on one machine, whose steps' gradients come from the executors
 * ({@link SparkGradients}).
 * The driver owns the adapter and the optimizer, and writes the checkpoints, {@code metrics.jsonl} and
 * the PEFT adapter exactly as a single-process run does; {@code --resume} works the same way.
 * <pre>{@code
 * BaseModel base = BaseModel.at(Path.of("models/stories15M"));
 * Llama llama = base.load();
 * Adapter adapter = Adapters.inject(llama, loraConfig, "default", new Rng(0));
 * SparkFineTuning.of(spark, base, llama, adapter, tokenizer)
 *         .data(train, eval)
 *         .config(TrainingConfig.builder(300).batchSize(8).gradientAccumulation(4).build())
 *         .run(Path.of("runs/stories"));
 * }</pre>
 * Each step's {@code gradientAccumulation} micro-batches are spread over at most as many partitions as
 * the cluster has task slots; with one micro-batch per partition the run's losses are bit for bit
 * those of the single-process run with the same config (adapter dropout aside: each partition draws
 * its own masks). With {@code syncEvery} K of 2 or more the run is local SGD instead
 * ({@link SparkLocalSteps}): each partition takes up to K steps on its shares before the driver
 * averages the adapters.
 */
public final class SparkFineTuning {
    private SparkFineTuning() {
    }

    /**
     * A fine-tuning of {@code adapter}, the active adapter of {@code model} ({@code base} loaded on the
     * driver), whose executors load their own copies of {@code base} and attach the same adapter; every
     * step synchronous.
     */
    public static TrainingJob of(JavaSparkContext spark, BaseModel base, Llama model, Adapter adapter, Tokenizer tokenizer) throws IOException {
        return of(spark, base, model, adapter, tokenizer, 1);
    }

    /**
     * As {@link #of(JavaSparkContext, BaseModel, Llama, Adapter, Tokenizer)}, the adapters averaged every
     * {@code syncEvery} steps (local SGD); 1 is the synchronous run.
     */
    public static TrainingJob of(JavaSparkContext spark, BaseModel base, Llama model, Adapter adapter, Tokenizer tokenizer, int syncEvery)
            throws IOException {
        return SparkSteps.onto(FineTuning.of(model, adapter, tokenizer), spark, base, AdapterBlueprint.of(adapter), syncEvery);
    }

    /** As {@link #of(JavaSparkContext, BaseModel, Llama, Adapter, Tokenizer)}, with the gradients from {@code gradients} (tests set its hooks). */
    static TrainingJob of(SparkGradients gradients, Llama model, Adapter adapter, Tokenizer tokenizer) {
        return FineTuning.of(model, adapter, tokenizer).stepGradients(gradients);
    }

    /** Local SGD with {@code steps}' rounds (tests set its hooks). */
    static TrainingJob of(SparkLocalSteps steps, Llama model, Adapter adapter, Tokenizer tokenizer) {
        return FineTuning.of(model, adapter, tokenizer).localSteps(steps);
    }
}
