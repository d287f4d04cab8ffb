package dev.mixtape.engine.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Writes a file so that readers see either the old file or the complete new one, never a part:
 * the content goes to a hidden temporary file in the same folder, is flushed to disk, and is then
 * renamed over the target in one step. On any failure the temporary file is deleted; a process
 * killed while writing leaves it behind, and {@link #deleteLeftovers} removes such files.
 */
public final class AtomicFile {
    private static final String TEMPORARY_SUFFIX = ".tmp";
    private static final String UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

    private AtomicFile() {
    }

    /** Produces a file's content into an open channel. */
    @FunctionalInterface
    public interface Content {
        void writeTo(FileChannel channel) throws IOException;
    }

    /** Replaces {@code target} with what {@code content} writes. */
    public static void write(Path target, Content content) throws IOException {
        // Same folder, so the rename cannot cross file systems; not Files.createTempFile, whose
        // owner-only permissions the renamed file would keep.
        Path directory = target.toAbsolutePath().getParent();
        Path temporary = directory.resolve("." + target.getFileName() + "." + UUID.randomUUID() + TEMPORARY_SUFFIX);
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                content.writeTo(channel);
                channel.force(true);
            }
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /** Replaces {@code target} with {@code bytes}. */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, channel -> writeFully(channel, ByteBuffer.wrap(bytes)));
    }

    /** Writes all of {@code buffer}, however many calls the channel needs. */
    public static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** Whether {@code file} is a temporary file of this class's, left behind by a write that never finished. */
    public static boolean isLeftover(Path file) {
        String name = file.getFileName().toString();
        return name.matches("\\..+\\." + UUID_PATTERN + "\\" + TEMPORARY_SUFFIX);
    }

    /** Deletes the temporary files that writes into {@code folder} left behind when their process was killed. */
    public static void deleteLeftovers(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, AtomicFile::isLeftover)) {
            for (Path file : files) {
                Files.deleteIfExists(file);
            }
        }
    }
}
