package dev.mixtape.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The contract every fuzz target checks, and the scratch files it feeds the readers through.
 *
 * <p>Given bytes it did not write, a reader either returns a result or refuses the input with one of
 * its own error types (the types its Javadoc names, listed by each target) whose message names the
 * file or folder it was given. Anything else escaping the reader is a finding: another exception, an
 * exception of its own type that does not say which file is at fault, or an {@link Error} such as
 * {@link OutOfMemoryError} or {@link StackOverflowError} (those propagate untouched to Jazzer), and
 * so is a hang (Jazzer's {@code -timeout}, from the targets' {@code @Timeout}).
 *
 * <p>Readers take a {@link Path}, so each input is written to a file first: one scratch folder per
 * JVM, in memory under {@code /dev/shm} where there is one.
 */
public final class FuzzedFiles {
    private static final Path ROOT = createRoot();

    private FuzzedFiles() {
    }

    /** A call into a reader. */
    @FunctionalInterface
    public interface ReaderCall {
        void run() throws Exception;
    }

    /** An empty scratch folder (the same one every time: its previous content is deleted). */
    public static Path emptyFolder() throws IOException {
        Path folder = ROOT.resolve("input");
        if (Files.exists(folder)) {
            try (Stream<Path> paths = Files.walk(folder)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            }
        }
        return Files.createDirectories(folder);
    }

    /**
     * Writes {@code bytes} to a file called {@code name} in the scratch root, replacing the previous
     * input of that name (cheaper than {@link #emptyFolder()}, which single-file targets do not need).
     */
    public static Path write(String name, byte[] bytes) throws IOException {
        return Files.write(ROOT.resolve(name), bytes);
    }

    /**
     * Runs {@code call} and accepts its outcome when it returns, or when it throws an instance of one
     * of {@code ownErrors} whose message contains {@code input}'s path; any other exception is
     * rethrown wrapped in an {@link AssertionError} that says what broke the contract.
     */
    public static void readOrRefuse(Path input, List<Class<? extends Exception>> ownErrors, ReaderCall call) {
        try {
            call.run();
        } catch (Exception e) {
            boolean own = ownErrors.stream().anyMatch(type -> type.isInstance(e));
            if (!own) {
                throw new AssertionError("the reader of " + input + " threw " + e.getClass().getName()
                        + ", not one of its own errors " + ownErrors, e);
            }
            if (e.getMessage() == null || !e.getMessage().contains(input.toString())) {
                throw new AssertionError("the reader of " + input + " refused it without naming it: " + e, e);
            }
        }
    }

    private static Path createRoot() {
        try {
            Path shm = Path.of("/dev/shm");
            Path root = Files.isDirectory(shm) && Files.isWritable(shm)
                    ? Files.createTempDirectory(shm, "mixtape-fuzz")
                    : Files.createTempDirectory("mixtape-fuzz");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(root)));
            return root;
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a scratch folder for fuzz inputs", e);
        }
    }

    private static void deleteQuietly(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            System.err.println("could not delete the fuzz scratch folder " + root + ": " + e);
        }
    }
}
