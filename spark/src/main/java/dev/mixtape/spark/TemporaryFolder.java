package dev.mixtape.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A folder that exists while a piece of work writes and reads files in it, then is deleted with what it holds. */
final class TemporaryFolder {
    private TemporaryFolder() {
    }

    /** Work on a folder. */
    @FunctionalInterface
    interface Work<T> {
        T in(Path folder) throws IOException;
    }

    /** Runs {@code work} in a new temporary folder, deleted afterwards however it ends. */
    static <T> T with(Work<T> work) throws IOException {
        Path folder = Files.createTempDirectory("mixtape-spark");
        try {
            return work.in(folder);
        } finally {
            try (Stream<Path> paths = Files.walk(folder)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            }
        }
    }
}
