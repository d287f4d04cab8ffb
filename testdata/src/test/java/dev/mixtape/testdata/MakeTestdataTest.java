package dev.mixtape.testdata;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The committed data sets and tokenizer are exactly what {@link MakeTestdata} writes. */
class MakeTestdataTest {
    static final Path COMMITTED = Path.of("src/main/resources/dev/mixtape/testdata");

    @Test
    void regeneratingWritesTheCommittedFilesByteForByte(@TempDir Path folder) throws IOException {
        MakeTestdata.write(folder);
        List<Path> written = relativeFiles(folder);
        List<Path> committed = relativeFiles(COMMITTED).stream().filter(written::contains).toList();
        assertEquals(written, committed, "every generated file is committed");
        for (Path file : written) {
            assertArrayEquals(Files.readAllBytes(COMMITTED.resolve(file)), Files.readAllBytes(folder.resolve(file)), file.toString());
        }
    }

    private static List<Path> relativeFiles(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).map(root::relativize).sorted().toList();
        }
    }
}
