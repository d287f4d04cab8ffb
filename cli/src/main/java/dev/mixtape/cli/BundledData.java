package dev.mixtape.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The tiny model and fine-tuning tasks that ship in the repository (module {@code testdata}), which
 * {@code finetune} and {@code compose} use when no model or data is named. They are found under the
 * checkout that {@code ./mixtape} runs from (system property {@code mixtape.home}, which the
 * launcher sets), else under the working directory or one of its parents.
 */
public final class BundledData {
    /** The bundled tasks, each a folder with {@code train.jsonl} and {@code eval.jsonl}. */
    public static final List<String> TASKS = List.of("add", "reverse", "facts");

    private static final Path RESOURCES = Path.of("testdata", "src", "main", "resources", "dev", "mixtape", "testdata");

    private BundledData() {
    }

    /** The bundled tiny Llama's HF folder. */
    public static Path tinyModel() throws IOException {
        return root().resolve("tiny-llama");
    }

    /** A bundled task's training file. */
    public static Path trainData(String task) throws IOException {
        return taskFolder(task).resolve("train.jsonl");
    }

    /** A bundled task's held-out file. */
    public static Path evalData(String task) throws IOException {
        return taskFolder(task).resolve("eval.jsonl");
    }

    private static Path taskFolder(String task) throws IOException {
        if (!TASKS.contains(task)) {
            throw new IllegalArgumentException("no bundled task '" + task + "'; the tasks are " + String.join(", ", TASKS));
        }
        return root().resolve("tasks").resolve(task);
    }

    private static Path root() throws IOException {
        String home = System.getProperty("mixtape.home");
        if (home != null) {
            Path bundled = Path.of(home).resolve(RESOURCES);
            if (Files.isDirectory(bundled)) {
                return bundled;
            }
        }
        for (Path folder = Path.of("").toAbsolutePath(); folder != null; folder = folder.getParent()) {
            if (Files.isDirectory(folder.resolve(RESOURCES))) {
                return folder.resolve(RESOURCES);
            }
        }
        throw new IOException("the bundled model and tasks (" + RESOURCES + ") are not under " + Path.of("").toAbsolutePath()
                + " or its parents; run from a Mixtape checkout, or name --model and --data");
    }
}
