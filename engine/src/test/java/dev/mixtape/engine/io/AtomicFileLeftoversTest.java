package dev.mixtape.engine.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link AtomicFile#deleteLeftovers} removes exactly the temporary files a killed write leaves (named as
 * {@link AtomicFile#write} names them), and nothing of the user's that merely looks similar.
 */
class AtomicFileLeftoversTest {
    @TempDir
    Path dir;

    @Test
    void onlyTheTemporaryFilesOfUnfinishedWritesAreDeleted() throws IOException {
        Path leftover = Files.writeString(dir.resolve(".checkpoint.safetensors." + UUID.randomUUID() + ".tmp"), "half");
        Set<Path> kept = Set.of(
                dir.resolve("written.txt"),
                Files.writeString(dir.resolve("checkpoint.safetensors"), "whole"),
                Files.writeString(dir.resolve(".notes.tmp"), "a user's hidden file"),
                Files.writeString(dir.resolve("draft." + UUID.randomUUID() + ".tmp"), "not hidden"));
        AtomicFile.write(dir.resolve("written.txt"), new byte[] {1});
        assertTrue(AtomicFile.isLeftover(leftover));

        AtomicFile.deleteLeftovers(dir);

        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(kept, files.collect(Collectors.toSet()));
        }
    }
}
