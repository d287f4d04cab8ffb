package dev.mixtape.adapters.mole;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mixtape.engine.FuzzedFiles;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Fuzz target of {@code mole_config.json} (docs/FUZZING.md): any bytes are read into the MoLE's
 * settings and expert list, or refused with a {@link MoleFormatException} naming the file.
 */
@Timeout(10)
class MoleConfigFuzzTest {

    @FuzzTest
    void moleConfigJson(byte[] bytes) throws IOException {
        Path file = FuzzedFiles.write(MoleFiles.CONFIG_FILE, bytes);
        FuzzedFiles.readOrRefuse(file, List.of(MoleFormatException.class), () -> MoleConfigJson.read(file));
    }
}
