package dev.mixtape.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.io.AtomicFile;
import dev.mixtape.engine.io.SafetensorsFile;
import dev.mixtape.models.llama.HfWriter;
import dev.mixtape.models.train.CharacterTokenizer;
import dev.mixtape.models.train.TinyModels;
import dev.mixtape.models.train.TrainingJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code mixtape finetune} in a child JVM, killed with SIGKILL ({@code kill -9}) at random moments, many
 * of them while it writes (a checkpoint every step, of an adapter made large for its model so that
 * writing takes much of the time), then resumed and killed again, for several seeds of the moments. After every kill the run folder must be consistent: nothing but temporary files before
 * the first checkpoint; then a checkpoint that reads whole, naming a step k, the metrics of steps 1 to k
 * (later lines allowed), and the adapter and plot only when k is the last step, with the adapter of a
 * run never killed. Each seed's last resume must end with that run's adapter, bit for bit, and its
 * metrics. A checkpoint written in place (not renamed into place), metrics written after their
 * checkpoint, an adapter written before the last checkpoint, or a resume that kept later lines or lost
 * the data position would each fail here.
 */
class KilledRunTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int STEPS = 12;
    private static final int SEEDS = 3;
    private static final int KILLS_PER_SEED = 4;

    @TempDir
    Path folder;

    @Test
    void aRunKilledAtRandomMomentsStaysConsistentAndResumesToTheResultOfARunNeverKilled() throws Exception {
        Path model = folder.resolve("model");
        HfWriter.write(TinyModels.random(1), CharacterTokenizer.write(folder.resolve("tokenizer")), model);
        Path train = pairs(folder.resolve("train.jsonl"), 0, 24);
        Path eval = pairs(folder.resolve("eval.jsonl"), 24, 6);
        List<String> options = List.of("finetune", "--model", model.toString(), "--data", train.toString(), "--eval-data", eval.toString(),
                "--steps", Integer.toString(STEPS), "--batch-size", "4", "--lr", "1e-2", "--rank", "64", "--save-every", "1", "--seed", "7");

        Path reference = folder.resolve("reference");
        long start = System.nanoTime();
        ChildMixtape whole = ChildMixtape.start(with(options, "--out", reference.toString()));
        List<Long> checkpointMillis = new ArrayList<>();
        for (String line = whole.nextLine(120_000); line != null && !line.equals(ChildMixtape.END); line = whole.nextLine(120_000)) {
            if (line.contains(" checkpoint ")) {
                checkpointMillis.add((System.nanoTime() - start) / 1_000_000);
            }
        }
        assertEquals(0, whole.waitFor(), whole.stderr());
        Timing timing = new Timing(checkpointMillis.getFirst(), (checkpointMillis.getLast() - checkpointMillis.getFirst()) / (STEPS - 1));
        byte[] adapter = Files.readAllBytes(reference.resolve(PeftFiles.WEIGHTS_FILE));
        byte[] adapterConfig = Files.readAllBytes(reference.resolve(PeftFiles.CONFIG_FILE));
        List<String> metrics = metricsWithoutTimings(reference);

        int midRun = 0;
        int midWrite = 0;
        for (int seed = 1; seed <= SEEDS; seed++) {
            Random random = new Random(seed);
            Path run = folder.resolve("run-" + seed);
            for (int kill = 0; kill < KILLS_PER_SEED; kill++) {
                int before = checkpointStep(run);
                ChildMixtape child = ChildMixtape.start(args(options, run));
                killAtRandom(child, run, random, timing, STEPS - Math.max(before, 0));
                child.waitFor();
                midWrite += leftovers(run) > 0 ? 1 : 0;
                int step = assertConsistent(run, adapter, adapterConfig);
                midRun += step > 0 && step < STEPS ? 1 : 0;
            }
            boolean finished = checkpointStep(run) == STEPS;
            ChildMixtape last = ChildMixtape.start(args(options, run));
            assertEquals(0, last.waitFor(), last.stderr());
            assertEquals(finished, last.stderr().contains("is already finished (" + STEPS + " steps); nothing to train"), last.stderr());
            assertArrayEquals(adapter, Files.readAllBytes(run.resolve(PeftFiles.WEIGHTS_FILE)), "seed " + seed);
            assertArrayEquals(adapterConfig, Files.readAllBytes(run.resolve(PeftFiles.CONFIG_FILE)), "seed " + seed);
            assertEquals(metrics, metricsWithoutTimings(run), "seed " + seed);
            assertEquals(0, leftovers(run), "the resumed run deleted what killed writes left");
        }
        System.out.printf("KilledRunTest: %d kills, %d left a checkpoint between the first step and the last, %d came during a write; "
                + "first checkpoint after %d ms, then one every %d ms%n", SEEDS * KILLS_PER_SEED, midRun, midWrite, timing.firstMillis(),
                timing.stepMillis());
        assertTrue(midRun > 0, "some kills came between the first step and the last");
    }

    /**
     * When a whole run wrote its checkpoints, in ms from its start.
     *
     * @param firstMillis the first checkpoint after a step
     * @param stepMillis  the time from one to the next
     */
    private record Timing(long firstMillis, long stepMillis) {
    }

    /**
     * Kills the child at one of three kinds of random moment: one time in five, any moment up to its
     * first checkpoint after a step (loading, the checkpoint of step 0); otherwise after a random number
     * of its checkpoints (fewer than the {@code remaining} steps), then either a random fraction of a
     * step later or as soon as one of its writes is seen under way (a temporary file in the folder).
     */
    private static void killAtRandom(ChildMixtape child, Path run, Random random, Timing timing, int remaining) throws Exception {
        int kind = random.nextInt(5);
        if (kind == 0) {
            Thread.sleep(random.nextLong(timing.firstMillis() + 1));
            child.signal("KILL");
            return;
        }
        int checkpoints = random.nextInt(Math.max(1, remaining));
        for (int seen = 0; seen < checkpoints; ) {
            String line = child.nextLine(120_000);
            if (line == null || line.equals(ChildMixtape.END)) {
                return;
            }
            seen += line.contains(" checkpoint ") ? 1 : 0;
        }
        if (kind <= 2) {
            Thread.sleep(random.nextLong(timing.stepMillis() + 1));
        } else {
            long deadline = System.nanoTime() + (4 * timing.stepMillis() + 1000) * 1_000_000;
            while (leftovers(run) == 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
        }
        child.signal("KILL");
    }

    /** Checks the folder's consistency (see the class comment); returns the checkpoint's step, or -1 when there is none. */
    private static int assertConsistent(Path run, byte[] adapter, byte[] adapterConfig) throws IOException {
        int step = checkpointStep(run);
        List<String> files = files(run);
        if (step < 0) {
            assertEquals(List.of(), files, "before the first checkpoint there is nothing but temporary files");
            return step;
        }
        List<JsonNode> lines = metricsLines(run);
        List<Integer> steps = lines.stream().filter(line -> line.has("loss")).map(line -> line.get("step").asInt()).toList();
        assertTrue(steps.size() >= step && steps.subList(0, step).equals(IntStream.rangeClosed(1, step).boxed().toList()),
                "checkpoint of step " + step + ", metrics of steps " + steps);
        if (step > 0) {
            assertTrue(lines.getFirst().has("eval_loss") && lines.getFirst().get("step").asInt() == 0, "the evaluation before training");
        }
        boolean finished = step == STEPS;
        if (files.contains(PeftFiles.WEIGHTS_FILE)) {
            assertTrue(finished, "an adapter only after the last checkpoint");
            assertArrayEquals(adapter, Files.readAllBytes(run.resolve(PeftFiles.WEIGHTS_FILE)));
        }
        if (files.contains(PeftFiles.CONFIG_FILE)) {
            assertTrue(finished && files.contains(PeftFiles.WEIGHTS_FILE), "the adapter's config comes after its weights");
            assertArrayEquals(adapterConfig, Files.readAllBytes(run.resolve(PeftFiles.CONFIG_FILE)));
        }
        assertTrue(finished || !files.contains(LossCurves.FILE), "the plot only after the last checkpoint");
        return step;
    }

    /** The step of the folder's checkpoint, read whole (every tensor), or -1 without one. */
    private static int checkpointStep(Path run) throws IOException {
        Path file = run.resolve(TrainingJob.CHECKPOINT);
        if (!Files.exists(file)) {
            return -1;
        }
        try (SafetensorsFile checkpoint = SafetensorsFile.open(file)) {
            for (String name : checkpoint.names()) {
                checkpoint.read(name, Backends.defaultBackend());
            }
            return Integer.parseInt(checkpoint.metadata().get("step"));
        }
    }

    private static String[] args(List<String> options, Path run) throws IOException {
        return Files.exists(run.resolve(TrainingJob.CHECKPOINT)) ? with(options, "--out", run.toString(), "--resume")
                : with(options, "--out", run.toString());
    }

    private static List<String> files(Path run) throws IOException {
        if (!Files.isDirectory(run)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(run)) {
            return files.filter(file -> !AtomicFile.isLeftover(file)).map(file -> file.getFileName().toString()).sorted().toList();
        }
    }

    private static long leftovers(Path run) throws IOException {
        if (!Files.isDirectory(run)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(run)) {
            return files.filter(AtomicFile::isLeftover).count();
        }
    }

    /** The metrics lines that parse (a kill may cut the last one short). */
    private static List<JsonNode> metricsLines(Path run) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        Path file = run.resolve(TrainingJob.METRICS);
        if (!Files.exists(file)) {
            return lines;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            try {
                lines.add(JSON.readTree(line));
            } catch (IOException cutShort) {
                assertTrue(line.equals(Files.readAllLines(file, StandardCharsets.UTF_8).getLast()), "only the last line may be cut short: " + line);
            }
        }
        return lines;
    }

    private static List<String> metricsWithoutTimings(Path run) throws IOException {
        return metricsLines(run).stream().map(line -> {
            ((ObjectNode) line).remove("tokens_per_s");
            return line.toString();
        }).toList();
    }

    /** {@code count} prompt/completion records: a word and its reversal. */
    private static Path pairs(Path file, int first, int count) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (int i = first; i < first + count; i++) {
            String word = Integer.toString(1000 + 37 * i);
            lines.append(JSON.writeValueAsString(JSON.createObjectNode().put("prompt", "Reverse " + word + ":")
                    .put("completion", " " + new StringBuilder(word).reverse()))).append('\n');
        }
        return Files.writeString(file, lines);
    }

    private static String[] with(List<String> options, String... more) {
        List<String> all = new ArrayList<>(options);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
