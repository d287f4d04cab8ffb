package dev.mixtape.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.LoraConfig;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.adapters.TargetModules;
import dev.mixtape.adapters.mole.Mole;
import dev.mixtape.adapters.mole.MoleConfig;
import dev.mixtape.adapters.mole.MoleFiles;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.SharedFiles;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.optim.LrSchedule;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.tokenizer.Tokenizers;
import dev.mixtape.models.train.DataRecord;
import dev.mixtape.models.train.Dataset;
import dev.mixtape.models.train.GateTraining;
import dev.mixtape.models.train.SpecialIds;
import dev.mixtape.models.train.TrainingConfig;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Training a MoLE's gates (two random experts on stories260K, balance weight 0.5) on Spark
 * {@code local[2]} against the same run on one machine accumulating two micro-batches: the executors
 * must load the same experts and gates, add the same balance loss to each micro-batch's loss, and send
 * back the last micro-batch's balance loss and gate entropy, for the metrics (those figures included)
 * and the MoLE folder's gates to be equal bit for bit. Local SGD on one partition must equal it too.
 */
class SparkGateTrainingTest {
    private static final List<String> TRAIN = List.of(
            "Zog was a purple robot who lived on the moon. Every night Zog sang a song about cheese.",
            "One day Zog met a small green frog. The frog liked the song about cheese too.",
            "Zog and the frog sang together on the moon. They were very happy.",
            "The purple robot made a big cheese cake for the frog. The frog said thank you, Zog.");
    private static final TrainingConfig CONFIG = TrainingConfig.builder(4).batchSize(2).gradientAccumulation(2)
            .schedule(LrSchedule.cosine(1e-2, 1e-3, 1, 4)).saveEvery(2).seed(3).build();

    private static JavaSparkContext spark;
    private static BaseModel base;
    private static Tokenizer tokenizer;

    @TempDir
    Path folder;

    @BeforeEach
    void startSpark() throws IOException {
        if (spark == null) {
            base = BaseModel.at(SharedFiles.require("models/stories260K/hf"));
            tokenizer = Tokenizers.load(SharedFiles.require("models/stories260K/tok512.bin"));
            spark = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("SparkGateTrainingTest").set("spark.ui.enabled", "false"));
        }
    }

    @AfterAll
    static void stopSpark() {
        if (spark != null) {
            spark.close();
        }
    }

    @Test
    void theGatesOfTwoPartitionsAreThoseOfOneProcessAccumulatingTwoMicroBatches() throws IOException {
        Map<String, Path> experts = experts();
        Path single = folder.resolve("single");
        run(experts, CONFIG, 0, single);
        Path distributed = folder.resolve("spark");
        run(experts, CONFIG, 1, distributed);

        assertEquals(metrics(single), metrics(distributed));
        assertTrue(metrics(distributed).getFirst().contains("\"balance_loss\""), metrics(distributed).getFirst());
        assertArrayEquals(Files.readAllBytes(single.resolve(MoleFiles.GATES_FILE)), Files.readAllBytes(distributed.resolve(MoleFiles.GATES_FILE)));
    }

    @Test
    void localSgdOfTheGatesOnOnePartitionIsTheSingleProcessRun() throws IOException {
        Map<String, Path> experts = experts();
        TrainingConfig oneBatch = TrainingConfig.builder(CONFIG.steps()).batchSize(4).gradientAccumulation(1)
                .schedule(CONFIG.schedule()).saveEvery(2).seed(3).build();
        Path single = folder.resolve("single");
        run(experts, oneBatch, 0, single);
        Path local = folder.resolve("local");
        run(experts, oneBatch, 2, local);

        assertEquals(metrics(single), metrics(local));
        assertArrayEquals(Files.readAllBytes(single.resolve(MoleFiles.GATES_FILE)), Files.readAllBytes(local.resolve(MoleFiles.GATES_FILE)));
    }

    /** Gate training of two experts in one process ({@code syncEvery} 0) or on Spark. */
    private static void run(Map<String, Path> experts, TrainingConfig config, int syncEvery, Path out) throws IOException {
        Llama llama = base.load();
        for (Map.Entry<String, Path> expert : experts.entrySet()) {
            PeftFiles.load(expert.getValue(), llama, expert.getKey());
        }
        Mole mole = Mole.attach(llama, List.copyOf(experts.keySet()), MoleConfig.builder().balanceWeight(0.5).build());
        TrainingJob job = syncEvery == 0 ? GateTraining.of(llama, mole, experts, tokenizer)
                : SparkGateTraining.of(spark, base, llama, mole, experts, tokenizer, syncEvery);
        SpecialIds special = SpecialIds.of(tokenizer, llama.config());
        List<DataRecord> records = TRAIN.stream().map(text -> (DataRecord) new DataRecord.Text(text, "test")).toList();
        job.data(Dataset.of("test", records, tokenizer, special, 16), null).config(config).run(out);
    }

    /** Two LoRA experts with random weights (B too, so that they change the outputs and the gates matter). */
    private Map<String, Path> experts() throws IOException {
        Map<String, Path> experts = new LinkedHashMap<>();
        for (String name : List.of("add", "reverse")) {
            Llama llama = base.load();
            Adapter adapter = Adapters.inject(llama, LoraConfig.builder(new TargetModules.AllLinear()).r(2).alpha(4).build(), name,
                    new Rng(name.length()));
            Rng rng = new Rng(name.hashCode());
            for (Tensor parameter : adapter.parameters()) {
                parameter.assign(Tensor.of(parameter.backend(), rng.normal((int) parameter.numel(), 0, 0.1), parameter.shape()));
            }
            Path path = folder.resolve("experts").resolve(name);
            PeftFiles.write(path, adapter);
            experts.put(name, path);
        }
        return experts;
    }

    private static List<String> metrics(Path run) throws IOException {
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
