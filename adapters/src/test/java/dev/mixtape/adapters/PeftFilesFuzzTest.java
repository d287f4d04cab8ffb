package dev.mixtape.adapters;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mixtape.engine.Backend;
import dev.mixtape.engine.FuzzedFiles;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.io.SafetensorsException;
import dev.mixtape.engine.vector.VectorBackend;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fuzz targets of PEFT adapter folders (docs/FUZZING.md). The reader's own errors are
 * {@link PeftFormatException} for {@code adapter_config.json} and what the folder holds, and
 * {@link SafetensorsException} for a broken {@code adapter_model.safetensors}; the round trip proves
 * that a folder {@link PeftFiles#write} wrote loads back into a fresh model with the same config and
 * the same outputs, bit for bit.
 */
@Timeout(10)
class PeftFilesFuzzTest {
    private static final List<Class<? extends Exception>> OWN_ERRORS = List.of(PeftFormatException.class, SafetensorsException.class);
    private static final String[] TARGETS = {"q_proj", "v_proj", "up_proj", "down_proj", "lm_head"};
    private static final Backend BACKEND = new VectorBackend(1);
    private static final Tensor X = new Rng(3).normal(BACKEND, 0, 1, 2, ToyModel.DIM);

    /** Any bytes as {@code adapter_config.json}. */
    @FuzzTest
    void adapterConfigJson(byte[] bytes) throws IOException {
        Path file = FuzzedFiles.write(PeftFiles.CONFIG_FILE, bytes);
        FuzzedFiles.readOrRefuse(file, OWN_ERRORS, () -> PeftConfigJson.read(file));
    }

    /**
     * A folder whose {@code adapter_config.json} is the fuzzer's and whose weights are those of a
     * valid rank-2 adapter on q_proj and v_proj, loaded into the model they were made for.
     */
    @FuzzTest
    void adapterFolder(byte[] configJson) throws IOException {
        Path folder = FuzzedFiles.emptyFolder();
        ToyModel model = new ToyModel(BACKEND, 1, 1);
        PeftFiles.write(folder, Adapters.inject(model, LoraConfig.builder(TargetModules.names("q_proj", "v_proj")).r(2)
                .init(LoraInit.RANDOM).build(), "default", new Rng(2)));
        Files.write(folder.resolve(PeftFiles.CONFIG_FILE), configJson);
        FuzzedFiles.readOrRefuse(folder, OWN_ERRORS, () -> PeftFiles.load(folder, new ToyModel(BACKEND, 1, 1), "fuzzed"));
    }

    /** A fuzzer-chosen LoRA or MoSLoRA config on a fuzzer-sized model, written and loaded back. */
    @FuzzTest
    void writeThenLoad(FuzzedDataProvider data) throws IOException {
        List<String> targets = new ArrayList<>();
        for (String target : TARGETS) {
            if (data.consumeBoolean()) {
                targets.add(target);
            }
        }
        if (targets.isEmpty()) {
            targets.add(data.pickValue(TARGETS));
        }
        LoraConfig.Builder builder = LoraConfig.builder(TargetModules.names(targets.toArray(String[]::new)))
                .r(data.consumeInt(1, 4)).alpha(data.consumeDouble()).useRslora(data.consumeBoolean())
                .init(LoraInit.RANDOM);
        if (data.consumeBoolean()) {
            builder.mixer(data.pickValue(MixerInit.values()));
        }
        LoraConfig config;
        try {
            config = builder.build();
        } catch (IllegalArgumentException refused) {
            return;
        }
        int blocks = data.consumeInt(1, 2);
        long seed = data.consumeLong();
        ToyModel model = new ToyModel(BACKEND, blocks, seed);
        Adapters.inject(model, config, "default", new Rng(data.consumeLong()));
        Path folder = FuzzedFiles.emptyFolder();
        PeftFiles.write(folder, Adapters.get(model, "default"));

        ToyModel fresh = new ToyModel(BACKEND, blocks, seed);
        Adapter loaded = PeftFiles.load(folder, fresh, "loaded");
        assertEquals(config, loaded.config());
        assertArrayEquals(model.forward(X).toFloatArray(), fresh.forward(X).toFloatArray());
    }
}
