package dev.mixtape.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.models.train.TrainingJob;
import dev.mixtape.testdata.Bundled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code mixtape finetune}, {@code eval --adapter} and {@code merge} in-process, on the bundled tiny model and tasks. */
class FinetuneCommandTest {

    @TempDir
    Path folder;


    /**
     * A 12-step fine-tune on the reverse task lowers the held-out loss by more than a nat (4.27 to 2.83
     * when written), which a run whose updates are lost or scaled down fails; and its adapter, eval and
     * merge reproduce the run's own figures.
     */
    @Test
    void aShortFineTuneWritesARunFolderWhoseAdapterEvalAndMergeReproduceItsFigures() throws IOException {
        Path out = folder.resolve("run");
        JsonNode summary = CliRun.of("finetune", "--task", "reverse", "--steps", "12", "--batch-size", "8", "--lr", "1e-2",
                "--out", out.toString()).summary();

        assertEquals(out.toString(), summary.get("out").asText());
        assertEquals(12, summary.get("steps").asInt());
        JsonNode before = summary.get("eval_before");
        JsonNode after = summary.get("eval_after");
        assertTrue(after.get("loss").asDouble() < before.get("loss").asDouble() - 1.0, "12 steps at lr 1e-2 take the held-out loss "
                + "from about 4.3 to 2.8 nats; a run that hardly trains (the lr or the gradients lost) drops far less: " + summary);
        assertTrue(before.has("accuracy") && after.has("accuracy"), summary.toString());
        assertTrue(summary.get("tokens_per_s").asDouble() > 0 && summary.get("peak_rss_mb").asLong() > 0, summary.toString());
        for (String file : List.of(PeftFiles.CONFIG_FILE, PeftFiles.WEIGHTS_FILE, TrainingJob.CHECKPOINT, TrainingJob.METRICS, LossCurves.FILE)) {
            assertTrue(Files.isRegularFile(out.resolve(file)), file);
        }
        assertTrue(Files.readString(out.resolve(PeftFiles.CONFIG_FILE)).contains("\"lora_use_mixer\" : true"), "MoSLoRA by default");

        String model = Bundled.tinyLlama().toString();
        String evalData = Bundled.task("reverse").eval().toString();
        JsonNode evaluated = CliRun.of("eval", "--model", model, "--adapter", out.toString(), "--data", evalData,
                "--seq-len", "64", "--batch-size", "8").summary();
        assertEquals(after.get("loss").asDouble(), evaluated.get("loss").asDouble(), 0.0, "eval --adapter gives the run's figure");
        assertEquals(after.get("accuracy").asDouble(), evaluated.get("accuracy").asDouble(), 0.0);

        Path merged = folder.resolve("merged");
        assertEquals(0, CliRun.of("merge", "--model", model, "--adapter", out.toString(), "--out", merged.toString()).status());
        String weights = Files.readString(merged.resolve("model.safetensors"), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertFalse(weights.contains("lora_") || weights.contains("base_layer"), "a plain Llama's tensor names");
        JsonNode mergedEval = CliRun.of("eval", "--model", merged.toString(), "--data", evalData, "--seq-len", "64",
                "--batch-size", "8").summary();
        assertEquals(after.get("loss").asDouble(), mergedEval.get("loss").asDouble(), 1e-5, "the merged model computes what the adapter did");
    }

    @Test
    void dataWithoutAnEvalFileHoldsOutATenthAndEpochsSetTheSteps() throws IOException {
        Path data = folder.resolve("pairs.jsonl");
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            lines.append("{\"prompt\":\"Repeat: ").append(i).append("\\nAnswer:\",\"completion\":\" ").append(i).append("\"}\n");
        }
        Files.writeString(data, lines);
        CliRun run = CliRun.of("finetune", "--data", data.toString(), "--epochs", "2", "--batch-size", "6", "--adapter-type", "lora",
                "--target-modules", "q_proj,v_proj", "--out", folder.resolve("run").toString());
        JsonNode summary = run.summary();
        assertEquals(12, summary.get("steps").asInt(), "36 training sequences, 2 epochs of batches of 6");
        assertTrue(run.err().contains("36 training sequences") && run.err().contains("4 held out"), run.err());
        String config = Files.readString(folder.resolve("run").resolve(PeftFiles.CONFIG_FILE));
        assertTrue(config.contains("\"q_proj\"") && !config.contains("lora_use_mixer\" : true"), config);
    }

    @Test
    void aRunStartedFromAnAdapterContinuesFromItsWeights() throws IOException {
        Path first = folder.resolve("first");
        JsonNode firstRun = CliRun.of("finetune", "--task", "reverse", "--steps", "6", "--batch-size", "8", "--lr", "1e-2",
                "--out", first.toString()).summary();
        JsonNode second = CliRun.of("finetune", "--task", "reverse", "--steps", "2", "--batch-size", "8", "--lr", "1e-9",
                "--init-adapter", first.toString(), "--out", folder.resolve("second").toString()).summary();
        assertEquals(firstRun.get("eval_after").get("loss").asDouble(), second.get("eval_before").get("loss").asDouble(), 0.0);
    }

    /**
     * {@code --checkpoint-layers} trains the very adapter a run without it trains, byte for byte, with
     * LoRA dropout on (whose masks the recomputed layers must draw again the same), and evaluates the same.
     */
    @Test
    void checkpointedLayersTrainTheSameAdapterByteForByte() throws IOException {
        List<String> options = List.of("finetune", "--task", "reverse", "--steps", "4", "--batch-size", "8", "--lr", "1e-2",
                "--lora-dropout", "0.1", "--save-every", "4");
        Path plain = folder.resolve("plain");
        Path checkpointed = folder.resolve("checkpointed");
        JsonNode plainRun = CliRun.of(concat(options, "--out", plain.toString())).summary();
        JsonNode checkpointedRun = CliRun.of(concat(options, "--out", checkpointed.toString(), "--checkpoint-layers")).summary();
        assertEquals(plainRun.get("eval_after"), checkpointedRun.get("eval_after"));
        assertArrayEquals(Files.readAllBytes(plain.resolve(PeftFiles.WEIGHTS_FILE)), Files.readAllBytes(checkpointed.resolve(PeftFiles.WEIGHTS_FILE)));
    }

    private static String[] concat(List<String> options, String... more) {
        List<String> all = new java.util.ArrayList<>(options);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    @Test
    void contradictoryOrMissingOptionsFailWithOneLine() {
        CliRun both = CliRun.of("finetune", "--steps", "3", "--epochs", "1", "--out", folder.resolve("x").toString());
        assertEquals(1, both.status());
        assertTrue(both.err().contains("give --steps or --epochs, not both"), both.err());
        CliRun resume = CliRun.of("finetune", "--resume");
        assertTrue(resume.err().contains("--resume needs --out"), resume.err());
        CliRun task = CliRun.of("finetune", "--task", "poetry");
        assertTrue(task.err().contains("no bundled task 'poetry'; the tasks are add, reverse, facts"), task.err());
        CliRun kind = CliRun.of("finetune", "--adapter-type", "dora", "--steps", "1");
        assertTrue(kind.err().contains("--adapter-type must be lora or moslora, got 'dora'"), kind.err());
        CliRun spark = CliRun.of("finetune", "--checkpoint-layers", "--spark", "local[1]", "--steps", "1");
        assertEquals(1, spark.status());
        assertTrue(spark.err().contains("--checkpoint-layers does not reach Spark's executors yet"), spark.err());
    }
}
