package dev.mixtape.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.LoraConfig;
import dev.mixtape.adapters.MixerInit;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.adapters.TargetModules;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.SharedFiles;
import dev.mixtape.engine.io.SafetensorsFile;
import dev.mixtape.engine.optim.LrSchedule;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.tokenizer.Tokenizers;
import dev.mixtape.models.train.DataRecord;
import dev.mixtape.models.train.Dataset;
import dev.mixtape.models.train.FineTuning;
import dev.mixtape.models.train.SpecialIds;
import dev.mixtape.models.train.StepMetrics;
import dev.mixtape.models.train.TrainingConfig;
import dev.mixtape.models.train.TrainingCallback;
import dev.mixtape.models.train.TrainingJob;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fine-tuning stories260K on Spark {@code local[2,2]} (two task slots, a failed task tried twice)
 * against the same run on one machine with two accumulated micro-batches: the gradients are the
 * single-process run's only if every partition gets the right micro-batch, the right weights and the
 * right weight of its loss, and the driver adds them up in partition order; the metrics (losses,
 * gradient norms, evaluations) and the written adapter are then equal bit for bit. Local SGD
 * ({@code syncEvery} 2) is checked against the single-process run where it must equal it (one
 * partition), and against itself (repeats, retries, resumes) where it may not.
 */
class SparkFineTuningTest {
    private static final List<String> TRAIN = List.of(
            "Zog was a purple robot who lived on the moon. Every night Zog sang a song about cheese.",
            "One day Zog met a small green frog. The frog liked the song about cheese too.",
            "Zog and the frog sang together on the moon. They were very happy.",
            "The purple robot made a big cheese cake for the frog. The frog said thank you, Zog.",
            "When the sun came up, Zog went to sleep. The frog sat on the moon and sang about cheese.");
    private static final List<String> HELD_OUT = List.of(
            "Zog the purple robot sang a song about cheese to the green frog on the moon.",
            "The frog and Zog were happy, and they sang about cheese every night.");
    /** Two micro-batches of two sequences a step, as many as local[2] has task slots. */
    private static final TrainingConfig CONFIG = TrainingConfig.builder(5).batchSize(2).gradientAccumulation(2)
            .schedule(LrSchedule.cosine(1e-2, 1e-3, 1, 5)).evalEvery(2).saveEvery(2).seed(5).build();

    private static JavaSparkContext spark;
    private static BaseModel base;
    private static Tokenizer tokenizer;

    @TempDir
    Path folder;

    /**
     * Loads the model and starts Spark before the first test. Not in {@code @BeforeAll}: there a missing
     * shared/ folder would skip the class without a word, where each test should say why it skips.
     */
    @BeforeEach
    void startSpark() throws IOException {
        if (spark == null) {
            base = BaseModel.at(SharedFiles.require("models/stories260K/hf"));
            tokenizer = Tokenizers.load(SharedFiles.require("models/stories260K/tok512.bin"));
            spark = new JavaSparkContext(new SparkConf().setMaster("local[2,2]").setAppName("SparkFineTuningTest")
                    .set("spark.ui.enabled", "false"));
        }
    }

    @AfterAll
    static void stopSpark() {
        if (spark != null) {
            spark.close();
        }
    }

    @Test
    void theLossesAndTheAdapterOfTwoPartitionsAreThoseOfOneProcessAccumulatingTwoMicroBatches() throws IOException {
        Path single = folder.resolve("single");
        singleProcess().run(single);
        Path distributed = folder.resolve("spark");
        onSpark(gradients()).run(distributed);

        assertEquals(metricsWithoutTimings(single), metricsWithoutTimings(distributed));
        assertEquals(CONFIG.steps(), metricsWithoutTimings(distributed).stream().filter(line -> line.contains("\"loss\"")).count());
        assertArrayEquals(Files.readAllBytes(single.resolve(PeftFiles.WEIGHTS_FILE)), Files.readAllBytes(distributed.resolve(PeftFiles.WEIGHTS_FILE)));
        assertArrayEquals(Files.readAllBytes(single.resolve(TrainingJob.CHECKPOINT)), Files.readAllBytes(distributed.resolve(TrainingJob.CHECKPOINT)));
    }

    /** A task lost once is computed again from the same broadcast: the run cannot tell. */
    @Test
    void aTaskThatFailsOnceIsRetriedAndTheRunIsUnchanged() throws IOException {
        Path single = folder.resolve("single");
        singleProcess().run(single);
        Path retried = folder.resolve("retried");
        SparkGradients gradients = gradients();
        gradients.failAttempts(3, 1, 1);
        onSpark(gradients).run(retried);

        assertEquals(metricsWithoutTimings(single), metricsWithoutTimings(retried));
    }

    /** A step whose task fails beyond Spark's retries stops the run, nothing of it applied: the checkpoint of step 2 stays, and resuming finishes the run as if nothing had failed. */
    @Test
    void aStepThatFailsBeyondTheRetriesStopsTheRunWithItsLastCheckpointAndResumingFinishesIt() throws IOException {
        Path single = folder.resolve("single");
        singleProcess().run(single);
        Path failed = folder.resolve("failed");
        SparkGradients failing = gradients();
        failing.failAttempts(3, 0, 2);

        SparkStepFailedException error = assertThrows(SparkStepFailedException.class, () -> onSpark(failing).run(failed));
        assertTrue(error.getMessage().startsWith("step 3: computing the gradients on Spark failed after its retries"), error.getMessage());
        try (SafetensorsFile checkpoint = SafetensorsFile.open(failed.resolve(TrainingJob.CHECKPOINT))) {
            assertEquals("2", checkpoint.metadata().get("step"));
        }
        assertEquals(metricsWithoutTimings(single).subList(0, 4), metricsWithoutTimings(failed), "evaluation 0, steps 1 and 2, evaluation 2");
        assertTrue(Files.notExists(failed.resolve(PeftFiles.WEIGHTS_FILE)), "no adapter from a run that did not finish");

        onSpark(gradients()).resume(failed);
        assertEquals(metricsWithoutTimings(single), metricsWithoutTimings(failed));
        assertArrayEquals(Files.readAllBytes(single.resolve(PeftFiles.WEIGHTS_FILE)), Files.readAllBytes(failed.resolve(PeftFiles.WEIGHTS_FILE)));
    }

    /** A run stopped after step 3 (its checkpoint of step 2) and resumed on Spark continues as if never stopped. */
    @Test
    void aRunStoppedMidwayAndResumedOnSparkMatchesAnUninterruptedOne() throws IOException {
        Path single = folder.resolve("single");
        singleProcess().run(single);
        Path crashed = folder.resolve("crashed");
        TrainingJob crashing = onSpark(gradients()).callback(new TrainingCallback() {
            @Override
            public void onStep(StepMetrics metrics) {
                if (metrics.step() == 3) {
                    throw new IllegalStateException("simulated crash");
                }
            }
        });
        assertThrows(IllegalStateException.class, () -> crashing.run(crashed));

        onSpark(gradients()).resume(crashed);
        assertEquals(metricsWithoutTimings(single), metricsWithoutTimings(crashed));
        assertArrayEquals(Files.readAllBytes(single.resolve(PeftFiles.WEIGHTS_FILE)), Files.readAllBytes(crashed.resolve(PeftFiles.WEIGHTS_FILE)));
    }

    /** The comparison can fail: a different split of the same data (one micro-batch of four) gives other losses. */
    @Test
    void anotherSplitOfTheStepGivesOtherLosses() throws IOException {
        Path single = folder.resolve("single");
        singleProcess().run(single);
        Path whole = folder.resolve("whole");
        TrainingConfig oneBatch = TrainingConfig.builder(CONFIG.steps()).batchSize(4).gradientAccumulation(1)
                .schedule(CONFIG.schedule()).evalEvery(2).saveEvery(2).seed(5).build();
        onSpark(gradients()).config(oneBatch).run(whole);
        assertNotEquals(metricsWithoutTimings(single), metricsWithoutTimings(whole));
    }

    /** {@code syncEvery} 1 through the public entry point is the synchronous run, bit for bit. */
    @Test
    void syncingEveryStepIsTheSynchronousRun() throws IOException {
        Path single = folder.resolve("single");
        singleProcess().run(single);
        Path synced = folder.resolve("synced");
        Llama llama = base.load();
        setUp(SparkFineTuning.of(spark, base, llama, adapter(llama), tokenizer, 1), llama).run(synced);

        assertEquals(metricsWithoutTimings(single), metricsWithoutTimings(synced));
        assertArrayEquals(Files.readAllBytes(single.resolve(TrainingJob.CHECKPOINT)), Files.readAllBytes(synced.resolve(TrainingJob.CHECKPOINT)));
    }

    /**
     * Local SGD on one partition (one micro-batch a step) is the single-process run, bit for bit: its
     * rounds take the trainer's steps with the learning rates, clipping, dropout masks and AdamW moments
     * the driver would, carry the optimizer state out and back, and average one adapter into itself.
     */
    @Test
    void localSgdOnOnePartitionIsTheSingleProcessRun() throws IOException {
        TrainingConfig oneBatch = TrainingConfig.builder(CONFIG.steps()).batchSize(4).gradientAccumulation(1)
                .schedule(CONFIG.schedule()).evalEvery(2).saveEvery(2).seed(5).build();
        Path single = folder.resolve("single");
        singleProcess().config(oneBatch).run(single);
        Path local = folder.resolve("local");
        onSpark(localSteps(2)).config(oneBatch).run(local);

        assertEquals(metricsWithoutTimings(single), metricsWithoutTimings(local));
        assertArrayEquals(Files.readAllBytes(single.resolve(TrainingJob.CHECKPOINT)), Files.readAllBytes(local.resolve(TrainingJob.CHECKPOINT)));
    }

    /**
     * Local SGD over two partitions: averaged in partition order, so a second run (one of whose tasks is
     * lost once and retried) gives the same metrics and adapter bit for bit; and it is not the
     * synchronous run, whose steps average gradients, not adapters.
     */
    @Test
    void localSgdOnTwoPartitionsRepeatsBitForBitThroughARetryAndIsNotTheSynchronousRun() throws IOException {
        Path first = folder.resolve("first");
        onSpark(localSteps(2)).run(first);
        Path retried = folder.resolve("retried");
        SparkLocalSteps failing = localSteps(2);
        failing.failAttempts(3, 1, 1);
        onSpark(failing).run(retried);
        Path single = folder.resolve("single");
        singleProcess().run(single);

        assertEquals(metricsWithoutTimings(first), metricsWithoutTimings(retried));
        assertEquals(CONFIG.steps(), metricsWithoutTimings(first).stream().filter(line -> line.contains("\"loss\"")).count());
        assertArrayEquals(Files.readAllBytes(first.resolve(PeftFiles.WEIGHTS_FILE)), Files.readAllBytes(retried.resolve(PeftFiles.WEIGHTS_FILE)));
        assertNotEquals(metricsWithoutTimings(single), metricsWithoutTimings(first));
    }

    /** A local SGD run that crashes in the round of steps 3 and 4 (its checkpoint of step 2) and resumes ends as an uninterrupted one. */
    @Test
    void aLocalSgdRunStoppedMidRoundAndResumedMatchesAnUninterruptedOne() throws IOException {
        Path whole = folder.resolve("whole");
        onSpark(localSteps(2)).run(whole);
        Path crashed = folder.resolve("crashed");
        TrainingJob crashing = onSpark(localSteps(2)).callback(new TrainingCallback() {
            @Override
            public void onStep(StepMetrics metrics) {
                if (metrics.step() == 3) {
                    throw new IllegalStateException("simulated crash");
                }
            }
        });
        assertThrows(IllegalStateException.class, () -> crashing.run(crashed));
        try (SafetensorsFile checkpoint = SafetensorsFile.open(crashed.resolve(TrainingJob.CHECKPOINT))) {
            assertEquals("2", checkpoint.metadata().get("step"));
        }

        onSpark(localSteps(2)).resume(crashed);
        assertEquals(metricsWithoutTimings(whole), metricsWithoutTimings(crashed));
        assertArrayEquals(Files.readAllBytes(whole.resolve(PeftFiles.WEIGHTS_FILE)), Files.readAllBytes(crashed.resolve(PeftFiles.WEIGHTS_FILE)));
    }

    /**
     * The training file read by the executors ({@link ExecutorDataset}, three partitions) trains as the
     * same texts read by the driver: same sequences in the same order, so the same run bit for bit.
     */
    @Test
    void dataReadByTheExecutorsTrainsAsTheSameDataReadByTheDriver() throws IOException {
        Path single = folder.resolve("single");
        singleProcess().run(single);
        Path file = Files.write(folder.resolve("train.jsonl"), TRAIN.stream().map(text -> "{\"text\": \"" + text + "\"}").toList());
        Llama llama = base.load();
        SpecialIds special = SpecialIds.of(tokenizer, llama.config());
        ExecutorDataset train = ExecutorDataset.read(spark, file.toUri().toString(),
                TokenizerSource.file(SharedFiles.require("models/stories260K/tok512.bin")), special, 16, 3);
        Path distributed = folder.resolve("executors");
        setUp(SparkFineTuning.of(gradients(), llama, adapter(llama), tokenizer), llama).data(train, texts(HELD_OUT, special)).run(distributed);

        assertEquals(metricsWithoutTimings(single), metricsWithoutTimings(distributed));
        assertArrayEquals(Files.readAllBytes(single.resolve(PeftFiles.WEIGHTS_FILE)), Files.readAllBytes(distributed.resolve(PeftFiles.WEIGHTS_FILE)));
    }

    private static TrainingJob singleProcess() throws IOException {
        Llama llama = base.load();
        return setUp(FineTuning.of(llama, adapter(llama), tokenizer), llama);
    }

    private static TrainingJob onSpark(SparkGradients gradients) throws IOException {
        Llama llama = base.load();
        return setUp(SparkFineTuning.of(gradients, llama, adapter(llama), tokenizer), llama);
    }

    private static TrainingJob onSpark(SparkLocalSteps steps) throws IOException {
        Llama llama = base.load();
        return setUp(SparkFineTuning.of(steps, llama, adapter(llama), tokenizer), llama);
    }

    private static SparkLocalSteps localSteps(int syncEvery) throws IOException {
        Llama llama = base.load();
        return new SparkLocalSteps(spark, base, AdapterBlueprint.of(adapter(llama)), syncEvery);
    }

    private static SparkGradients gradients() throws IOException {
        Llama llama = base.load();
        return new SparkGradients(spark, base, AdapterBlueprint.of(adapter(llama)));
    }

    private static TrainingJob setUp(TrainingJob job, Llama llama) {
        SpecialIds special = SpecialIds.of(tokenizer, llama.config());
        return job.data(texts(TRAIN, special), texts(HELD_OUT, special)).config(CONFIG);
    }

    private static Adapter adapter(Llama llama) {
        LoraConfig config = LoraConfig.builder(new TargetModules.AllLinear()).r(4).alpha(8).mixer(MixerInit.KAIMING).build();
        return Adapters.inject(llama, config, "story", new Rng(1));
    }

    private static Dataset texts(List<String> texts, SpecialIds special) {
        List<DataRecord> records = texts.stream().map(text -> (DataRecord) new DataRecord.Text(text, "test")).toList();
        return Dataset.of("test", records, tokenizer, special, 16);
    }

    private static List<String> metricsWithoutTimings(Path run) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve(TrainingJob.METRICS))) {
            ObjectNode node = (ObjectNode) json.readTree(line);
            node.remove("tokens_per_s");
            lines.add(node.toString());
        }
        return lines;
    }
}
