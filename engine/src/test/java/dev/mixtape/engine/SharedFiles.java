package dev.mixtape.engine;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds reference files in the {@code shared/} folder that sits beside the repository (CI has it,
 * a user's clone usually does not). A missing file skips the test with a message, except under
 * {@code CI=true}, where it fails.
 */
public final class SharedFiles {
    private SharedFiles() {
    }

    /** The path of {@code relative} inside shared/, or a skip (fail under CI) when it is absent. */
    public static Path require(String relative) {
        Path root = root();
        Path file = root.resolve(relative);
        if (!Files.exists(file)) {
            String message = "reference file " + file + " is absent (the shared/ folder beside the repository)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail(message + "; CI must have it");
            }
            Assumptions.abort(message + ": skipping");
        }
        return file;
    }

    private static Path root() {
        String configured = System.getenv("MIXTAPE_SHARED");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).toAbsolutePath().normalize();
        }
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("mvnw"))) {
            dir = dir.getParent();
        }
        return (dir == null ? Path.of("..") : dir.resolve("..")).resolve("shared").toAbsolutePath().normalize();
    }
}
