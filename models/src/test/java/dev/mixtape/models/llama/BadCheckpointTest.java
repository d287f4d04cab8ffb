package dev.mixtape.models.llama;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.SharedFiles;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.io.SafetensorsFile;
import dev.mixtape.engine.io.SafetensorsWriter;
import dev.mixtape.engine.vector.VectorBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An HF folder whose weights are missing a tensor, or contradict its config, fails naming both. */
class BadCheckpointTest {
    private final Backend backend = new VectorBackend(1);

    private Path copyWithout(Path dir, String dropped, String config) throws IOException {
        Path source = SharedFiles.require("models/stories260K/hf");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (SafetensorsFile file = SafetensorsFile.open(source.resolve("model.safetensors"))) {
            for (String name : file.names()) {
                if (!name.equals(dropped)) {
                    tensors.put(name, file.read(name, backend));
                }
            }
        }
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors);
        Files.writeString(dir.resolve("config.json"), config == null ? Files.readString(source.resolve("config.json")) : config);
        return dir;
    }

    @Test
    void aMissingTensorIsNamed(@TempDir Path dir) throws IOException {
        Path folder = copyWithout(dir, "model.layers.3.mlp.up_proj.weight", null);
        try (HfCheckpoint checkpoint = HfCheckpoint.open(folder)) {
            IOException e = assertThrows(IOException.class, () -> Llama.load(checkpoint, backend));
            assertTrue(e.getMessage().contains("model.layers.3.mlp.up_proj.weight") && e.getMessage().contains(folder.toString()), e.getMessage());
        }
    }

    @Test
    void aConfigThatContradictsTheWeightsNamesTheTensorAndShapes(@TempDir Path dir) throws IOException {
        String config = Files.readString(SharedFiles.require("models/stories260K/hf/config.json"))
                .replace("\"intermediate_size\": 172", "\"intermediate_size\": 180");
        Path folder = copyWithout(dir, "", config);
        try (HfCheckpoint checkpoint = HfCheckpoint.open(folder)) {
            IOException e = assertThrows(IOException.class, () -> Llama.load(checkpoint, backend));
            assertTrue(e.getMessage().contains("gate_proj.weight") && e.getMessage().contains("[172, 64]")
                    && e.getMessage().contains("[180, 64]"), e.getMessage());
        }
    }
}
