package dev.mixtape.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.adapters.mole.MoleFiles;
import dev.mixtape.engine.io.SafetensorsFile;
import dev.mixtape.models.train.TrainingJob;
import dev.mixtape.testdata.Bundled;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code mixtape compose}, {@code eval --mole}, and {@code generate --mole} in-process, on the bundled model. */
class ComposeCommandTest {

    @TempDir
    static Path experts;

    @TempDir
    Path folder;

    @BeforeAll
    static void trainTwoExperts() throws IOException {
        for (String task : List.of("reverse", "facts")) {
            CliRun run = CliRun.of("finetune", "--task", task, "--steps", "8", "--batch-size", "8", "--lr", "1e-2",
                    "--out", experts.resolve(task).toString());
            assertEquals(0, run.status(), run.err());
        }
    }


    private Path mix() throws IOException {
        Path mix = folder.resolve("mix.jsonl");
        for (String task : List.of("reverse", "facts")) {
            Files.write(mix, Files.readAllLines(Bundled.task(task).train()).subList(0, 40), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        return mix;
    }

    private String expertList() {
        return experts.resolve("reverse") + "," + experts.resolve("facts");
    }

    /**
     * Compose trains the gates: each of the four block gates, zero when attached, has moved, and the
     * held-out loss went down (by a little in 4 steps); a compose whose gates are frozen or never
     * updated fails it. Then masking all but one expert gives exactly that expert's loss.
     */
    @Test
    void composeTrainsTheGatesAndEvalWithAllButOneExpertMaskedIsThatExpert() throws IOException {
        Path mole = folder.resolve("mole");
        CliRun composed = CliRun.of("compose", "--experts", expertList(), "--data", mix().toString(), "--steps", "4", "--batch-size", "8",
                "--granularity", "block", "--out", mole.toString());
        JsonNode summary = composed.summary();
        assertEquals(4, summary.get("steps").asInt());
        assertTrue(summary.get("eval_after").get("loss").asDouble() < summary.get("eval_before").get("loss").asDouble(), summary.toString());
        for (String file : List.of(MoleFiles.CONFIG_FILE, MoleFiles.GATES_FILE, TrainingJob.CHECKPOINT, TrainingJob.METRICS, LossCurves.FILE)) {
            assertTrue(Files.isRegularFile(mole.resolve(file)), file);
        }
        assertTrue(Files.readString(mole.resolve(TrainingJob.METRICS)).contains("\"gate_entropy\""), "the gates' entropy is logged");
        try (SafetensorsFile gates = SafetensorsFile.open(mole.resolve(MoleFiles.GATES_FILE))) {
            assertEquals(4, gates.names().size(), gates.names().toString());
            for (String gate : gates.names()) {
                float[] weights = gates.readFloats(gate);
                assertTrue(IntStream.range(0, weights.length).anyMatch(i -> Math.abs(weights[i]) > 1e-4), gate + " moved from its zero start");
            }
        }
        assertTrue(composed.err().contains("2 experts [reverse, facts], 4 gates (block)"), composed.err());

        String model = Bundled.tinyLlama().toString();
        String data = Bundled.task("reverse").eval().toString();
        JsonNode masked = CliRun.of("eval", "--model", model, "--mole", mole.toString(), "--mask", "facts", "--data", data, "--seq-len", "64").summary();
        JsonNode byIndex = CliRun.of("eval", "--model", model, "--mole", mole.toString(), "--mask", "1", "--data", data, "--seq-len", "64").summary();
        JsonNode expert = CliRun.of("eval", "--model", model, "--adapter", experts.resolve("reverse").toString(), "--data", data,
                "--seq-len", "64").summary();
        assertEquals(expert.get("loss").asDouble(), masked.get("loss").asDouble(), 1e-6, "G'_reverse = 1: the reverse expert alone");
        assertEquals(masked.toString(), byIndex.toString());

        CliRun explained = CliRun.of("generate", "--model", model, "--mole", mole.toString(), "--prompt", "Reverse: cat dog\nAnswer:",
                "--temperature", "0", "--max-new-tokens", "4", "--explain");
        assertEquals(0, explained.status(), explained.err());
        assertEquals(4, explained.err().lines().filter(line -> line.startsWith("explain: gate 'model.layers.")).count(), explained.err());
    }

    @Test
    void aMoleWhoseExpertChangedOrThatMasksEveryExpertIsRefusedInOneLine() throws IOException {
        Path mole = folder.resolve("mole");
        CliRun.of("compose", "--experts", expertList(), "--data", mix().toString(), "--steps", "2", "--batch-size", "8", "--out", mole.toString()).summary();
        String model = Bundled.tinyLlama().toString();
        String data = Bundled.task("reverse").eval().toString();

        CliRun everyExpert = CliRun.of("eval", "--model", model, "--mole", mole.toString(), "--mask", "0,1", "--data", data);
        assertEquals(1, everyExpert.status());
        assertTrue(everyExpert.err().contains("would leave no expert"), everyExpert.err());

        Path copy = folder.resolve("facts-copy");
        Files.createDirectories(copy);
        for (String file : List.of(PeftFiles.CONFIG_FILE, PeftFiles.WEIGHTS_FILE)) {
            Files.copy(experts.resolve("facts").resolve(file), copy.resolve(file));
        }
        Path moved = folder.resolve("mole-of-copy");
        CliRun.of("compose", "--experts", experts.resolve("reverse") + "," + copy, "--data", mix().toString(), "--steps", "1",
                "--batch-size", "8", "--out", moved.toString()).summary();
        Path copied = moved.resolve("experts/facts-copy").resolve(PeftFiles.WEIGHTS_FILE);
        byte[] weights = Files.readAllBytes(copied);
        weights[weights.length - 1] ^= 1;
        Files.write(copied, weights);
        CliRun changed = CliRun.of("eval", "--model", model, "--mole", moved.toString(), "--data", data);
        assertEquals(1, changed.status());
        assertTrue(changed.err().contains(PeftFiles.WEIGHTS_FILE) && changed.err().contains("facts-copy"), changed.err());
    }
}
