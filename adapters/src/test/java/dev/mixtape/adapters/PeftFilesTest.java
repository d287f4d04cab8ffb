package dev.mixtape.adapters;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.io.SafetensorsFile;
import dev.mixtape.engine.vector.VectorBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Adapter folders on a small model: names and shapes in the file, round trips, and what is refused. */
class PeftFilesTest {
    @TempDir
    Path dir;

    private final Backend backend = new VectorBackend(1);
    private final Tensor x = new Rng(3).normal(backend, 0, 1, 4, ToyModel.DIM);

    private Adapter trained(ToyModel model, LoraConfig config) {
        return Adapters.inject(model, config, "default", new Rng(4));
    }

    @Test
    void theFileHoldsPeftNamesAndShapesAndLoadsBackExactly() throws IOException {
        ToyModel model = new ToyModel(backend, 2, 1);
        LoraConfig config = LoraConfig.builder(TargetModules.names("q_proj", "up_proj")).r(3).alpha(5).init(LoraInit.RANDOM)
                .mixer(MixerInit.KAIMING).build();
        Adapter adapter = trained(model, config);
        float[] expected = model.forward(x).toFloatArray();
        PeftFiles.write(dir, adapter);

        try (SafetensorsFile file = SafetensorsFile.open(dir.resolve(PeftFiles.WEIGHTS_FILE))) {
            assertEquals(12, file.names().size());
            assertArrayEquals(new int[]{3, ToyModel.DIM}, file.info("base_model.model.model.layers.1.mlp.up_proj.lora_A.weight").shape());
            assertArrayEquals(new int[]{ToyModel.HIDDEN, 3}, file.info("base_model.model.model.layers.1.mlp.up_proj.lora_B.weight").shape());
            assertArrayEquals(new int[]{3, 3}, file.info("base_model.model.model.layers.1.mlp.up_proj.lora_AB.weight").shape());
            assertEquals(Map.of("format", "pt"), file.metadata());
        }
        try (var files = Files.list(dir)) {
            assertEquals(List.of(PeftFiles.CONFIG_FILE, PeftFiles.WEIGHTS_FILE),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }

        ToyModel fresh = new ToyModel(backend, 2, 1);
        Adapter loaded = PeftFiles.load(dir, fresh, "reloaded");
        assertEquals(config, loaded.config());
        assertArrayEquals(expected, fresh.forward(x).toFloatArray());
        assertEquals(loaded.parameters(), fresh.trainableParameters());
    }

    @Test
    void aRankThatDisagreesWithTheTensorsIsNamedWithBothShapes() throws IOException {
        ToyModel model = new ToyModel(backend, 1, 1);
        PeftFiles.write(dir, trained(model, LoraConfig.builder(TargetModules.names("q_proj")).r(2).build()));
        Path config = dir.resolve(PeftFiles.CONFIG_FILE);
        Files.writeString(config, Files.readString(config).replace("\"r\" : 2", "\"r\" : 4"));

        ToyModel fresh = new ToyModel(backend, 1, 1);
        String message = assertThrows(PeftFormatException.class, () -> PeftFiles.load(dir, fresh, "default")).getMessage();
        assertEquals(dir.resolve(PeftFiles.WEIGHTS_FILE) + ": tensor 'base_model.model.model.layers.0.attn.q_proj.lora_A.weight' has shape [2, 6],"
                + " but layer 'model.layers.0.attn.q_proj' (Linear 6 -> 6) with r = 4 needs [4, 6]", message);
        assertTrue(Adapters.names(fresh).isEmpty(), "the model is left unchanged");
    }

    /** A NaN in an adapter's factor, which would turn every output into NaN, is refused naming the tensor and the element. */
    @Test
    void aNonFiniteFactorIsRefusedNamingTheTensor() throws IOException {
        ToyModel model = new ToyModel(backend, 1, 1);
        PeftFiles.write(dir, trained(model, LoraConfig.builder(TargetModules.names("q_proj")).r(2).init(LoraInit.RANDOM).build()));
        Path weights = dir.resolve(PeftFiles.WEIGHTS_FILE);
        String name = "base_model.model.model.layers.0.attn.q_proj.lora_B.weight";
        long begin;
        try (SafetensorsFile file = SafetensorsFile.open(weights)) {
            begin = file.info(name).begin();
        }
        byte[] bytes = Files.readAllBytes(weights);
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long dataStart = 8 + buffer.getLong(0);
        buffer.putFloat(Math.toIntExact(dataStart + begin + 4 * 3), Float.NaN);
        Files.write(weights, bytes);

        ToyModel fresh = new ToyModel(backend, 1, 1);
        String message = assertThrows(PeftFormatException.class, () -> PeftFiles.load(dir, fresh, "default")).getMessage();
        assertEquals(weights + ": tensor '" + name + "' holds NaN at element 3 (a corrupt or diverged adapter)", message);
        assertTrue(Adapters.names(fresh).isEmpty(), "the model is left unchanged");
    }

    @Test
    void tensorsTheConfigDoesNotAccountForAreRefused() throws IOException {
        ToyModel model = new ToyModel(backend, 1, 1);
        PeftFiles.write(dir, trained(model, LoraConfig.builder(TargetModules.names("q_proj")).mixer(MixerInit.KAIMING).build()));
        Path config = dir.resolve(PeftFiles.CONFIG_FILE);
        Files.writeString(config, Files.readString(config).replace("\"lora_use_mixer\" : true", "\"lora_use_mixer\" : false"));
        String message = assertThrows(PeftFormatException.class,
                () -> PeftFiles.load(dir, new ToyModel(backend, 1, 1), "default")).getMessage();
        assertTrue(message.contains("tensors that no targeted layer uses: [base_model.model.model.layers.0.attn.q_proj.lora_AB.weight]"), message);
    }

    @Test
    void aTargetedLayerWithoutTensorsIsRefused() throws IOException {
        ToyModel model = new ToyModel(backend, 1, 1);
        PeftFiles.write(dir, trained(model, LoraConfig.builder(TargetModules.names("q_proj")).build()));
        Path config = dir.resolve(PeftFiles.CONFIG_FILE);
        Files.writeString(config, Files.readString(config).replace("\"q_proj\"", "\"q_proj\", \"v_proj\""));
        String message = assertThrows(PeftFormatException.class,
                () -> PeftFiles.load(dir, new ToyModel(backend, 1, 1), "default")).getMessage();
        assertTrue(message.endsWith("no tensor 'base_model.model.model.layers.0.attn.v_proj.lora_A.weight' for the targeted layer "
                + "'model.layers.0.attn.v_proj'"), message);
    }

    @Test
    void aTargetTheModelLacksIsRefusedNamingTheConfigFile() throws IOException {
        ToyModel model = new ToyModel(backend, 1, 1);
        PeftFiles.write(dir, trained(model, LoraConfig.builder(TargetModules.names("q_proj")).build()));
        Path config = dir.resolve(PeftFiles.CONFIG_FILE);
        Files.writeString(config, Files.readString(config).replace("\"q_proj\"", "\"query_key_value\""));
        String message = assertThrows(PeftFormatException.class,
                () -> PeftFiles.load(dir, new ToyModel(backend, 1, 1), "default")).getMessage();
        assertTrue(message.startsWith(config + ": target_modules entry [query_key_value] match no module"), message);
    }

    @Test
    void aFolderWithoutAConfigIsNotAnAdapter() {
        IOException e = assertThrows(IOException.class, () -> PeftFiles.load(dir, new ToyModel(backend, 1, 1), "default"));
        assertTrue(e.getMessage().contains("not a PEFT adapter folder"), e.getMessage());
    }
}
