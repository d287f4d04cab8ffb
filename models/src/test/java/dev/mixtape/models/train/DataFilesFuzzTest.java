package dev.mixtape.models.train;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mixtape.engine.FuzzedFiles;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Fuzz target of the training-data reader (docs/FUZZING.md): any bytes as a {@code .jsonl} file give
 * at least one record, or an {@link IOException} naming the file (and the line).
 */
@Timeout(10)
class DataFilesFuzzTest {

    @FuzzTest
    void jsonLines(byte[] bytes) throws IOException {
        Path file = FuzzedFiles.write("data.jsonl", bytes);
        FuzzedFiles.readOrRefuse(file, List.of(IOException.class), () -> assertFalse(DataFiles.read(file).isEmpty()));
    }
}
