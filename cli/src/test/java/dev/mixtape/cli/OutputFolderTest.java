package dev.mixtape.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.models.train.TrainingJob;
import dev.mixtape.testdata.Bundled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a command does with an {@code --out} that already holds something: a second run, a user's
 * files, a finished run resumed, a resume with other settings, {@code --overwrite}, and {@code merge}
 * onto the base model's own folder. Every refusal is one line naming the folder, and leaves every
 * byte of the folder as it was.
 */
class OutputFolderTest {
    private static final List<String> FINETUNE = List.of("finetune", "--task", "reverse", "--steps", "2", "--batch-size", "2");

    @TempDir
    Path folder;

    @Test
    void aSecondRunIntoAFolderIsRefusedUnlessResumedOrOverwritten() throws IOException {
        Path run = folder.resolve("run");
        assertEquals(0, CliRun.of(with(FINETUNE, "--out", run.toString())).status());
        Map<String, byte[]> before = contents(run);

        assertRefused("mixtape: " + run + " holds a run; continue it with --resume, or replace it with --overwrite", run, before,
                with(FINETUNE, "--out", run.toString()));
        assertRefused("mixtape: give --resume or --overwrite, not both", run, before,
                with(FINETUNE, "--out", run.toString(), "--resume", "--overwrite"));
        CliRun otherLr = CliRun.of(with(FINETUNE, "--out", run.toString(), "--resume", "--lr", "2e-2"));
        assertEquals(1, otherLr.status());
        assertEquals("mixtape: " + run.toAbsolutePath() + ": the run was made with --lr 0.005, not --lr 0.02; resume with the run's settings",
                otherLr.err().strip().lines().toList().getLast(), "after the lines describing the model, one line");
        assertEquals(fingerprint(before), fingerprint(contents(run)));

        CliRun finished = CliRun.of(with(FINETUNE, "--out", run.toString(), "--resume"));
        assertEquals(0, finished.status(), finished.err());
        assertTrue(finished.err().contains("finetune: the run in " + run + " is already finished (2 steps); nothing to train"), finished.err());
        assertFalse(finished.err().contains("finetune: steps "), "no step was trained: " + finished.err());
        assertEquals(2, new ObjectMapper().readTree(finished.out().lines().toList().getLast()).get("steps").asInt());
        assertEquals(fingerprint(before), fingerprint(contents(run)), "a finished run resumed writes the same files again");
    }

    @Test
    void overwriteDeletesEverythingTheFolderHeldAndAUsersFolderIsNeverFilledUnasked() throws IOException {
        Path run = folder.resolve("run");
        Files.createDirectories(run.resolve("notes"));
        Files.writeString(run.resolve("notes").resolve("plan.txt"), "mine");
        Files.writeString(run.resolve(PeftFiles.WEIGHTS_FILE), "an adapter of an older run");
        Map<String, byte[]> before = contents(run);
        assertRefused("mixtape: " + run + " is not empty; choose another --out, or replace what it holds with --overwrite", run, before,
                with(FINETUNE, "--out", run.toString()));

        CliRun overwritten = CliRun.of(with(FINETUNE, "--out", run.toString(), "--overwrite"));
        assertEquals(0, overwritten.status(), overwritten.err());
        assertEquals(List.of(PeftFiles.CONFIG_FILE, PeftFiles.WEIGHTS_FILE, TrainingJob.CHECKPOINT, LossCurves.FILE, TrainingJob.METRICS),
                List.copyOf(contents(run).keySet()));
        assertFalse(new String(contents(run).get(PeftFiles.WEIGHTS_FILE)).contains("older run"));

        Path empty = Files.createDirectories(folder.resolve("empty"));
        assertEquals(0, CliRun.of(with(FINETUNE, "--out", empty.toString())).status(), "an empty folder is fine");
    }

    @Test
    void mergeNeverWritesOverItsInputsAndRefusesAFullFolder() throws IOException {
        Path run = folder.resolve("run");
        assertEquals(0, CliRun.of(with(FINETUNE, "--out", run.toString())).status());
        Path model = folder.resolve("model");
        copyFolder(Bundled.tinyLlama(), model);
        Map<String, byte[]> modelBefore = contents(model);
        List<String> merge = List.of("merge", "--model", model.toString(), "--adapter", run.toString());

        assertRefused("mixtape: " + model + " is the --model folder, which this command reads; choose another --out", model, modelBefore,
                with(merge, "--out", model.toString()));
        assertRefused("mixtape: " + model + " is the --model folder, which this command reads; choose another --out", model, modelBefore,
                with(merge, "--out", model.toString(), "--overwrite"));
        assertRefused("mixtape: " + folder + " holds the --model " + model + ", which this command reads; choose another --out", model,
                modelBefore, with(merge, "--out", folder.toString(), "--overwrite"));

        Path full = Files.createDirectories(folder.resolve("full"));
        Files.writeString(full.resolve("stale.txt"), "old");
        assertRefused("mixtape: " + full + " is not empty; choose another --out, or replace what it holds with --overwrite", full, contents(full),
                with(merge, "--out", full.toString()));
        assertEquals(0, CliRun.of(with(merge, "--out", full.toString(), "--overwrite")).status());
        assertFalse(Files.exists(full.resolve("stale.txt")));
        assertTrue(Files.isRegularFile(full.resolve("model.safetensors")));
    }

    private static void assertRefused(String line, Path watched, Map<String, byte[]> before, String... args) throws IOException {
        CliRun run = CliRun.of(args);
        assertEquals(1, run.status(), run.err());
        assertEquals(line, run.err().strip());
        assertEquals(fingerprint(before), fingerprint(contents(watched)), "the folder is as it was");
    }

    /** Every file under {@code root}, by relative path, sorted. */
    private static Map<String, byte[]> contents(Path root) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path file : walk.filter(Files::isRegularFile).toList()) {
                files.put(root.relativize(file).toString(), Files.readAllBytes(file));
            }
        }
        return files;
    }

    private static Map<String, String> fingerprint(Map<String, byte[]> files) {
        Map<String, String> prints = new TreeMap<>();
        files.forEach((name, bytes) -> prints.put(name, bytes.length + ":" + Arrays.hashCode(bytes)));
        return prints;
    }

    private static void copyFolder(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
    }

    private static String[] with(List<String> options, String... more) {
        List<String> all = new ArrayList<>(options);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
