package dev.mixtape.engine.io;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A write either replaces the target with a complete file or leaves the directory as it was. */
class SafetensorsAtomicWriteTest {
    private final Backend backend = Backends.defaultBackend();

    @TempDir
    Path dir;

    @Test
    void valueTooLargeForF16FailsMidWriteAndLeavesNoFileBehind() throws IOException {
        Path target = dir.resolve("model.safetensors");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("fine", Tensor.of(backend, new float[200_000], 200_000));
        tensors.put("huge", Tensor.of(backend, new float[]{1, 70_000, 3}, 3));

        SafetensorsException e = assertThrows(SafetensorsException.class,
                () -> SafetensorsWriter.write(target, tensors, Map.of(), DType.F16));

        assertTrue(e.getMessage().startsWith(target + ": tensor \"huge\": element 1 is 70000.0, too large for F16"),
                e.getMessage());
        assertEquals(List.of(), entries(dir));
    }

    @Test
    void valueTooLargeForBf16IsRefusedToo() {
        Path target = dir.resolve("model.safetensors");

        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsWriter.write(target,
                Map.of("w", Tensor.of(backend, new float[]{Float.MAX_VALUE}, 1)), Map.of(), DType.BF16));

        assertTrue(e.getMessage().contains("tensor \"w\": element 0 is " + Float.MAX_VALUE + ", too large for BF16"),
                e.getMessage());
        assertEquals(List.of(), entries(dir));
    }

    @Test
    void failedWriteLeavesThePreviousFileIntact() throws IOException {
        Path target = dir.resolve("model.safetensors");
        SafetensorsWriter.write(target, Map.of("w", Tensor.of(backend, new float[]{1, 2}, 2)));
        byte[] before = Files.readAllBytes(target);

        assertThrows(SafetensorsException.class, () -> SafetensorsWriter.write(target,
                Map.of("w", Tensor.of(backend, new float[]{1e9f}, 1)), Map.of(), DType.F16));

        assertEquals(List.of(target), entries(dir));
        assertArrayEquals(before, Files.readAllBytes(target));
    }

    @Test
    void successfulWriteReplacesThePreviousFile() throws IOException {
        Path target = dir.resolve("model.safetensors");
        SafetensorsWriter.write(target, Map.of("old", Tensor.of(backend, new float[]{1, 2}, 2)));

        SafetensorsWriter.write(target, Map.of("new", Tensor.of(backend, new float[]{3}, 1)));

        assertEquals(List.of(target), entries(dir));
        try (SafetensorsFile read = SafetensorsFile.open(target)) {
            assertEquals(List.of("new"), read.names());
            assertArrayEquals(new float[]{3}, read.readFloats("new"));
        }
    }

    @Test
    void targetThatIsADirectoryFailsAtTheRenameAndTheTemporaryFileIsDeleted() throws IOException {
        Path target = Files.createDirectory(dir.resolve("model.safetensors"));

        assertThrows(IOException.class,
                () -> SafetensorsWriter.write(target, Map.of("w", Tensor.of(backend, new float[]{1}, 1))));

        assertEquals(List.of(target), entries(dir));
        assertTrue(Files.isDirectory(target));
    }

    @Test
    void unwritableLocationFailsWithoutCreatingAnything() throws IOException {
        Path notADirectory = Files.writeString(dir.resolve("plain.txt"), "not a directory");
        Path missingDirectory = dir.resolve("missing");

        for (Path target : List.of(notADirectory.resolve("model.safetensors"), missingDirectory.resolve("m.safetensors"))) {
            assertThrows(IOException.class,
                    () -> SafetensorsWriter.write(target, Map.of("w", Tensor.of(backend, new float[]{1}, 1))));
        }

        assertEquals(List.of(notADirectory), entries(dir));
        assertFalse(Files.exists(missingDirectory));
    }

    @Test
    void reservedNameAndUnsupportedStorageTypeAreRefusedBeforeAnyFileIsCreated() {
        Path target = dir.resolve("model.safetensors");
        Tensor one = Tensor.of(backend, new float[]{1}, 1);

        SafetensorsException reserved = assertThrows(SafetensorsException.class,
                () -> SafetensorsWriter.write(target, Map.of("__metadata__", one)));
        SafetensorsException f64 = assertThrows(SafetensorsException.class,
                () -> SafetensorsWriter.write(target, Map.of("w", one), Map.of(), DType.F64));

        assertTrue(reserved.getMessage().startsWith(target + ": tensor \"__metadata__\": this name is reserved"),
                reserved.getMessage());
        assertTrue(f64.getMessage().startsWith(target + ": cannot store as F64"), f64.getMessage());
        assertEquals(List.of(), entries(dir));
    }

    private static List<Path> entries(Path directory) {
        try (Stream<Path> files = Files.list(directory)) {
            return files.sorted().toList();
        } catch (IOException e) {
            throw new AssertionError("cannot list " + directory, e);
        }
    }
}
