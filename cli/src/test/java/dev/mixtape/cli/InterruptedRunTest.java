package dev.mixtape.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.engine.io.SafetensorsFile;
import dev.mixtape.models.llama.HfWriter;
import dev.mixtape.models.train.CharacterTokenizer;
import dev.mixtape.models.train.TinyModels;
import dev.mixtape.models.train.TrainingJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ctrl-C (SIGINT) during a fine-tuning and SIGTERM during a pretraining, sent to a child JVM: the run
 * checkpoints the step it reached, prints the one line {@code mixtape: interrupted at step N;
 * checkpoint saved; continue with --resume} and exits 130; {@code --resume} then finishes with the
 * result of a run never interrupted, bit for bit. Without the handling the JVM would die at once
 * (no line, no checkpoint of step N), and a resume that lost its place would fail the comparison.
 */
class InterruptedRunTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern INTERRUPTED = Pattern.compile("mixtape: interrupted at step (\\d+); checkpoint saved; continue with --resume");
    private static final int STEPS = 300;

    @TempDir
    Path folder;

    @Test
    void ctrlCDuringAFineTuneCheckpointsItsStepAndResumingFinishesIt() throws Exception {
        Path model = folder.resolve("model");
        HfWriter.write(TinyModels.random(1), CharacterTokenizer.write(folder.resolve("tokenizer")), model);
        Path data = Files.writeString(folder.resolve("pairs.jsonl"), """
                {"prompt": "red?", "completion": " apple"}
                {"prompt": "sky?", "completion": " blue"}
                {"prompt": "one?", "completion": " two"}
                {"prompt": "sun?", "completion": " hot"}
                """);
        List<String> options = List.of("finetune", "--model", model.toString(), "--data", data.toString(), "--eval-data", data.toString(),
                "--steps", Integer.toString(STEPS), "--batch-size", "2", "--rank", "4", "--seed", "3");
        Path stopped = folder.resolve("stopped");

        int step = interrupt(with(options, "--out", stopped.toString()), "INT", "finetune: step ");
        assertEquals(step, checkpointStep(stopped.resolve(TrainingJob.CHECKPOINT)));
        assertFalse(Files.exists(stopped.resolve(PeftFiles.WEIGHTS_FILE)), "the adapter comes when the run completes");

        CliRun resumed = CliRun.of(with(options, "--out", stopped.toString(), "--resume"));
        assertEquals(0, resumed.status(), resumed.err());
        assertTrue(resumed.err().contains("finetune: steps " + (step + 1) + " to " + STEPS), resumed.err());
        Path straight = folder.resolve("straight");
        CliRun uninterrupted = CliRun.of(with(options, "--out", straight.toString()));
        assertEquals(0, uninterrupted.status(), uninterrupted.err());
        assertArrayEquals(Files.readAllBytes(straight.resolve(PeftFiles.WEIGHTS_FILE)), Files.readAllBytes(stopped.resolve(PeftFiles.WEIGHTS_FILE)));
        assertEquals(metricsWithoutTimings(straight), metricsWithoutTimings(stopped));
    }

    @Test
    void sigtermDuringAPretrainingCheckpointsItsStepAndResumingFinishesIt() throws Exception {
        Path tokenizer = CharacterTokenizer.write(folder.resolve("tokenizer"));
        Path data = Files.writeString(folder.resolve("corpus.txt"),
                "The cat sat on the mat. The dog ran to the park. A bird sang in the tree. The sun was warm and the sky was blue.\n");
        List<String> options = List.of("pretrain", "--data", data.toString(), "--tokenizer", tokenizer.toString(), "--dim", "16", "--layers", "1",
                "--heads", "2", "--seq-len", "16", "--batch-size", "2", "--lr", "1e-2", "--steps", Integer.toString(STEPS), "--seed", "5");
        Path stopped = folder.resolve("stopped");

        int step = interrupt(with(options, "--out", stopped.toString()), "TERM", "pretrain: step ");
        assertEquals(step, checkpointStep(stopped.resolve("training").resolve(TrainingJob.CHECKPOINT)));
        assertFalse(Files.exists(stopped.resolve("model.safetensors")), "the model comes when the run completes");

        CliRun resumed = CliRun.of(with(options, "--out", stopped.toString(), "--resume"));
        assertEquals(0, resumed.status(), resumed.err());
        Path straight = folder.resolve("straight");
        assertEquals(0, CliRun.of(with(options, "--out", straight.toString())).status());
        assertArrayEquals(Files.readAllBytes(straight.resolve("model.safetensors")), Files.readAllBytes(stopped.resolve("model.safetensors")));
    }

    /** Runs the command in a child JVM, sends it {@code signal} once it reports progress, and returns the step its last line names. */
    private static int interrupt(String[] args, String signal, String progress) throws Exception {
        ChildMixtape child = ChildMixtape.start(args);
        String line;
        do {
            line = child.nextLine(120_000);
            assertNotNull(line, "no progress within two minutes");
            assertFalse(line.equals(ChildMixtape.END), child.stderr());
        } while (!line.startsWith(progress));
        child.signal(signal);
        assertEquals(130, child.waitFor(), child.stderr());
        List<String> lines = child.stderr().lines().toList();
        Matcher last = INTERRUPTED.matcher(lines.getLast());
        assertTrue(last.matches(), child.stderr());
        int step = Integer.parseInt(last.group(1));
        assertTrue(step > 0 && step < STEPS, child.stderr());
        return step;
    }

    private static int checkpointStep(Path file) throws IOException {
        try (SafetensorsFile checkpoint = SafetensorsFile.open(file)) {
            return Integer.parseInt(checkpoint.metadata().get("step"));
        }
    }

    private static List<String> metricsWithoutTimings(Path run) throws IOException {
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve(TrainingJob.METRICS))) {
            ObjectNode node = (ObjectNode) JSON.readTree(line);
            node.remove("tokens_per_s");
            lines.add(node.toString());
        }
        return lines;
    }

    private static String[] with(List<String> options, String... more) {
        List<String> all = new ArrayList<>(options);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
