package dev.mixtape.spark;

import dev.mixtape.adapters.mole.Mole;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.train.GateTraining;
import dev.mixtape.models.train.TrainingJob;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Training a MoLE's gates with their gradients computed on a Spark cluster: the {@link TrainingJob} of a
 * {@link GateTraining} (what {@code ./mixtape compose --spark} runs), as {@link SparkFineTuning} is a
 * fine-tuning's. Each executor loads the base model, the same experts and gates ({@link MoleBlueprint})
 * and adds MoLE's balance loss to each micro-batch's loss; the metrics' {@code balance_loss} and
 * {@code gate_entropy} are those of the step's last micro-batch, as on one machine.
 * <pre>{@code
 * Mole mole = Mole.attach(llama, List.of("add", "reverse"), MoleConfig.builder().build());
 * SparkGateTraining.of(spark, base, llama, mole, expertFolders, tokenizer, 1)
 *         .data(mixedTasks, heldOut).config(TrainingConfig.builder(200).gradientAccumulation(2).build())
 *         .run(Path.of("runs/mole"));
 * }</pre>
 */
public final class SparkGateTraining {
    private SparkGateTraining() {
    }

    /**
     * Gate training for {@code mole}, attached to {@code model} ({@code base} loaded on the driver, its
     * experts from {@code expertFolders}, by name), averaged every {@code syncEvery} steps (1: synchronous).
     */
    public static TrainingJob of(JavaSparkContext spark, BaseModel base, Llama model, Mole mole, Map<String, Path> expertFolders,
                                 Tokenizer tokenizer, int syncEvery) throws IOException {
        return SparkSteps.onto(GateTraining.of(model, mole, expertFolders, tokenizer), spark, base, MoleBlueprint.of(mole, expertFolders),
                syncEvery);
    }
}
