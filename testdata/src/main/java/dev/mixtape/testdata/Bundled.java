package dev.mixtape.testdata;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The tiny Llama and the fine-tuning tasks that ship with Mixtape (this module's resources), as
 * files any loader can open: {@code Llama.load(Bundled.tinyLlama(), backend)},
 * {@code Dataset.load(Bundled.task("reverse").train(), ...)}. They are found through the classpath,
 * so they work from a checkout and from the installed jars alike: where the classpath holds them in a
 * jar they are extracted once into a cache folder named after their content
 * ({@code $XDG_CACHE_HOME/mixtape} or {@code ~/.cache/mixtape}), so every process gets the same paths.
 */
public final class Bundled {
    /** The bundled tasks, each with training and held-out prompt/completion pairs. */
    public static final List<String> TASKS = List.of("add", "reverse", "facts");

    private static final String RESOURCES = "dev/mixtape/testdata/";
    private static Path root;

    private Bundled() {
    }

    /**
     * A bundled task's data: JSON Lines of {@code {"prompt", "completion"}}.
     *
     * @param name  one of {@link #TASKS}
     * @param train the training records
     * @param eval  the held-out records (no prompt of them is in {@code train})
     */
    public record Task(String name, Path train, Path eval) {
    }

    /** The bundled tiny Llama's Hugging Face folder ({@code config.json}, {@code model.safetensors}, its tokenizer). */
    public static Path tinyLlama() {
        return root().resolve("tiny-llama");
    }

    /** The bundled task called {@code name}; an unknown name is an IllegalArgumentException listing the tasks. */
    public static Task task(String name) {
        if (!TASKS.contains(name)) {
            throw new IllegalArgumentException("no bundled task '" + name + "'; the tasks are " + String.join(", ", TASKS));
        }
        Path folder = root().resolve("tasks").resolve(name);
        return new Task(name, folder.resolve("train.jsonl"), folder.resolve("eval.jsonl"));
    }

    /** The folder holding the bundled files, found (and, from a jar, extracted) on first use. */
    private static synchronized Path root() {
        if (root == null) {
            URL marker = Bundled.class.getResource("tiny-llama/config.json");
            if (marker == null) {
                throw new IllegalStateException("the bundled files (" + RESOURCES + ") are not on the classpath");
            }
            try {
                root = switch (marker.getProtocol()) {
                    case "file" -> Path.of(marker.toURI()).getParent().getParent();
                    case "jar" -> extracted(((JarURLConnection) marker.openConnection()).getJarFileURL());
                    default -> throw new IllegalStateException("the bundled files are in " + marker + ", which is neither a folder nor a jar");
                };
            } catch (IOException e) {
                throw new UncheckedIOException("extracting the bundled files from " + marker + ": " + e.getMessage(), e);
            } catch (URISyntaxException e) {
                throw new IllegalStateException(marker + ": " + e.getMessage(), e);
            }
        }
        return root;
    }

    /** The bundled files of the jar at {@code jarUrl} in the cache, extracted there unless an earlier process did. */
    private static Path extracted(URL jarUrl) throws IOException, URISyntaxException {
        try (ZipFile jar = new ZipFile(Path.of(jarUrl.toURI()).toFile())) {
            List<? extends ZipEntry> entries = jar.stream().filter(e -> e.getName().startsWith(RESOURCES) && !e.isDirectory()).toList();
            Path target = cacheFolder().resolve("bundled-" + contentKey(entries));
            if (Files.isDirectory(target)) {
                return target;
            }
            Files.createDirectories(target.getParent());
            Path partial = Files.createTempDirectory(target.getParent(), "bundled-partial-");
            for (ZipEntry entry : entries) {
                Path file = partial.resolve(entry.getName().substring(RESOURCES.length())).normalize();
                if (!file.startsWith(partial)) {
                    throw new IOException(entry.getName() + " points outside the bundled folder");
                }
                Files.createDirectories(file.getParent());
                try (InputStream in = jar.getInputStream(entry)) {
                    Files.copy(in, file);
                }
            }
            try {
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException e) {
                deleteTree(partial);
                if (!Files.isDirectory(target)) {
                    throw e;
                }
            }
            return target;
        }
    }

    /** A name for the bundled files' content: entries, sizes and CRCs, so a changed jar gets a folder of its own. */
    private static String contentKey(List<? extends ZipEntry> entries) {
        CRC32 key = new CRC32();
        for (ZipEntry entry : entries) {
            key.update((entry.getName() + ":" + entry.getSize() + ":" + entry.getCrc() + "\n").getBytes(StandardCharsets.UTF_8));
        }
        return HexFormat.of().toHexDigits((int) key.getValue());
    }

    private static Path cacheFolder() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("mixtape");
    }

    private static void deleteTree(Path folder) throws IOException {
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
