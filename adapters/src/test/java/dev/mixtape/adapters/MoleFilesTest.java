package dev.mixtape.adapters;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixtape.adapters.mole.Granularity;
import dev.mixtape.adapters.mole.Mole;
import dev.mixtape.adapters.mole.MoleConfig;
import dev.mixtape.adapters.mole.MoleFiles;
import dev.mixtape.adapters.mole.MoleFormatException;
import dev.mixtape.adapters.mole.Pooling;
import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.vector.VectorBackend;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static dev.mixtape.adapters.MoleByHand.expert;
import static dev.mixtape.adapters.MoleByHand.randomGates;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MoLE folders: a round trip to the same outputs, and the expert files and settings that are refused. */
class MoleFilesTest {
    private static final MoleConfig CONFIG = MoleConfig.builder().granularity(Granularity.BLOCK).pooling(Pooling.MEAN)
            .learnableTemperature(true).temperature(2).balanceWeight(0.25).build();

    @TempDir
    Path dir;

    private final Backend backend = new VectorBackend(1);
    private final Tensor x = new Rng(9).normal(backend, 0, 1, 2, 3, ToyModel.DIM);
    private Path expertA;
    private Path expertB;
    private Path moleFolder;

    /** Two experts saved in PEFT folders under {@code experts/}; the MoLE goes to {@code runs/mole}. */
    @BeforeEach
    void saveExperts() throws IOException {
        ToyModel model = new ToyModel(backend, 2, 1);
        TargetModules targets = TargetModules.names("q_proj", "down_proj");
        expertA = dir.resolve("experts/a");
        expertB = dir.resolve("experts/b");
        PeftFiles.write(expertA, expert(model, "a", LoraConfig.builder(targets).r(2).alpha(4), 2));
        PeftFiles.write(expertB, expert(model, "b", LoraConfig.builder(targets).r(3).mixer(MixerInit.KAIMING), 3));
        moleFolder = dir.resolve("runs/mole");
    }

    private Mole trainedMole(ToyModel model) throws IOException {
        PeftFiles.load(expertA, model, "a");
        PeftFiles.load(expertB, model, "b");
        Mole mole = Mole.attach(model, List.of("a", "b"), CONFIG);
        randomGates(mole, 0.5, 4);
        return mole;
    }

    @Test
    void aMoleFolderLoadsBackToTheSameOutputs() throws IOException, NoSuchAlgorithmException {
        ToyModel model = new ToyModel(backend, 2, 1);
        Mole mole = trainedMole(model);
        mole.mask(List.of("b"));
        float[] masked = model.forward(x).toFloatArray();
        mole.mask(List.of());
        float[] expected = model.forward(x).toFloatArray();
        MoleFiles.write(moleFolder, mole, Map.of("a", expertA, "b", expertB));

        ToyModel fresh = new ToyModel(backend, 2, 1);
        Mole loaded = MoleFiles.load(moleFolder, fresh);
        assertEquals(CONFIG, loaded.config());
        assertEquals(List.of("a", "b"), loaded.experts());
        assertArrayEquals(expected, fresh.forward(x).toFloatArray());
        loaded.mask(List.of("b"));
        assertArrayEquals(masked, fresh.forward(x).toFloatArray());
        assertEquals(Map.of("a", moleFolder.resolve("experts/a"), "b", moleFolder.resolve("experts/b")), MoleFiles.expertFolders(moleFolder));

        JsonNode json = new ObjectMapper().readTree(moleFolder.resolve(MoleFiles.CONFIG_FILE).toFile());
        assertEquals("block", json.get("granularity").textValue());
        assertEquals("mean", json.get("pooling").textValue());
        JsonNode first = json.get("experts").get(0);
        assertEquals("experts/a", first.get("path").textValue());
        assertEquals(sha256(expertA.resolve(PeftFiles.WEIGHTS_FILE)), first.get("adapter_model_sha256").textValue());
        assertEquals(sha256(expertA.resolve(PeftFiles.CONFIG_FILE)), first.get("adapter_config_sha256").textValue());
    }

    private static String sha256(Path file) throws IOException, NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    /** The MoLE folder's copy of an expert changed, or missing, is refused naming the expert and the file. */
    @Test
    void anExpertFileChangedSinceSavingIsRefusedNamingIt() throws IOException {
        MoleFiles.write(moleFolder, trainedMole(new ToyModel(backend, 2, 1)), Map.of("a", expertA, "b", expertB));
        Path copyA = moleFolder.resolve("experts/a");
        Path copyB = moleFolder.resolve("experts/b");
        Path weights = copyB.resolve(PeftFiles.WEIGHTS_FILE);
        byte[] bytes = Files.readAllBytes(weights);
        bytes[bytes.length - 1] ^= 1;
        Files.write(weights, bytes);

        ToyModel fresh = new ToyModel(backend, 2, 1);
        String message = assertThrows(MoleFormatException.class, () -> MoleFiles.load(moleFolder, fresh)).getMessage();
        assertTrue(message.startsWith(moleFolder.resolve(MoleFiles.CONFIG_FILE) + ": expert 'b': "
                + weights + " has changed since this MoLE was saved (SHA-256 "), message);
        assertTrue(Adapters.names(fresh).isEmpty(), "nothing is loaded");

        Path config = copyA.resolve(PeftFiles.CONFIG_FILE);
        Files.writeString(config, Files.readString(config).replace("\"lora_alpha\" : 4", "\"lora_alpha\" : 5"));
        String changedConfig = assertThrows(MoleFormatException.class, () -> MoleFiles.load(moleFolder, fresh)).getMessage();
        assertTrue(changedConfig.contains("expert 'a': " + config + " has changed"), changedConfig);

        Files.delete(config);
        String missing = assertThrows(MoleFormatException.class, () -> MoleFiles.load(moleFolder, fresh)).getMessage();
        assertTrue(missing.endsWith("expert 'a': " + config + " is missing (folder \"experts/a\", relative to the MoLE folder)"), missing);
    }

    /**
     * The folder is self-contained: moved elsewhere, with the original experts gone, it loads; an
     * expert path that leads out of it (absolute, {@code ..}, a link) is refused naming the expert.
     */
    @Test
    void expertsLiveInsideTheFolderAndPathsOutOfItAreRefused() throws IOException {
        MoleFiles.write(moleFolder, trainedMole(new ToyModel(backend, 2, 1)), Map.of("a", expertA, "b", expertB));
        Path moved = Files.move(moleFolder, dir.resolve("moved"));
        for (Path expert : List.of(expertA, expertB)) {
            for (String file : List.of(PeftFiles.CONFIG_FILE, PeftFiles.WEIGHTS_FILE)) {
                Files.delete(expert.resolve(file));
            }
        }
        MoleFiles.load(moved, new ToyModel(backend, 2, 1));

        Path config = moved.resolve(MoleFiles.CONFIG_FILE);
        String original = Files.readString(config);
        Path outside = Files.createDirectories(dir.resolve("elsewhere/b"));
        for (String file : List.of(PeftFiles.CONFIG_FILE, PeftFiles.WEIGHTS_FILE)) {
            Files.copy(moved.resolve("experts/b").resolve(file), outside.resolve(file));
        }
        Map<String, String> refused = Map.of(
                "../elsewhere/b", "climbs out of " + moved + " with '..'",
                "experts/../../elsewhere/b", "climbs out of",
                outside.toString(), "is absolute",
                "linked", "leads through a link to " + outside.toRealPath());
        Files.createSymbolicLink(moved.resolve("linked"), outside);
        for (Map.Entry<String, String> path : refused.entrySet()) {
            Files.writeString(config, original.replace("\"path\" : \"experts/b\"", "\"path\" : \"" + path.getKey() + "\""));
            String message = assertThrows(MoleFormatException.class, () -> MoleFiles.load(moved, new ToyModel(backend, 2, 1))).getMessage();
            assertTrue(message.startsWith(config + ": expert 'b': path \"" + path.getKey() + "\" ") && message.contains(path.getValue()),
                    message);
        }
    }

    /** A gate weight holding NaN, which would make every gate's softmax NaN, is refused naming the tensor. */
    @Test
    void aNonFiniteGateIsRefusedNamingTheTensor() throws IOException {
        Mole mole = trainedMole(new ToyModel(backend, 2, 1));
        String name = mole.namedParameters().keySet().iterator().next();
        mole.namedParameters().get(name).assign(Tensor.of(backend, nanFirst(mole.namedParameters().get(name)),
                mole.namedParameters().get(name).shape()));
        MoleFiles.write(moleFolder, mole, Map.of("a", expertA, "b", expertB));
        String message = assertThrows(MoleFormatException.class, () -> MoleFiles.load(moleFolder, new ToyModel(backend, 2, 1))).getMessage();
        assertEquals(moleFolder.resolve(MoleFiles.GATES_FILE) + ": tensor '" + name + "' holds NaN at element 0 (corrupt or diverged gates)",
                message);
    }

    private static float[] nanFirst(Tensor tensor) {
        float[] values = tensor.toFloatArray();
        values[0] = Float.NaN;
        return values;
    }

    @Test
    void anUnknownSettingIsRefusedWithTheChoices() throws IOException {
        MoleFiles.write(moleFolder, trainedMole(new ToyModel(backend, 2, 1)), Map.of("a", expertA, "b", expertB));
        Path config = moleFolder.resolve(MoleFiles.CONFIG_FILE);
        String original = Files.readString(config);

        Files.writeString(config, original.replace("\"block\"", "\"row\""));
        String granularity = assertThrows(MoleFormatException.class,
                () -> MoleFiles.load(moleFolder, new ToyModel(backend, 2, 1))).getMessage();
        assertEquals(config + ": granularity is \"row\"; expected one of [matrix, layer, block, network]", granularity);

        Files.writeString(config, original.replace("\"temperature\" : 2.0", "\"temperature\" : -1"));
        String temperature = assertThrows(MoleFormatException.class,
                () -> MoleFiles.load(moleFolder, new ToyModel(backend, 2, 1))).getMessage();
        assertEquals(config + ": MoLE temperature must be positive and finite, got -1.0", temperature);

        Files.writeString(config, original.replace("\"path\" : \"experts/b\",", ""));
        String path = assertThrows(MoleFormatException.class,
                () -> MoleFiles.load(moleFolder, new ToyModel(backend, 2, 1))).getMessage();
        assertEquals(config + ": experts[1].path is missing", path);

        Files.writeString(config, original.replace("\"block\"", "\"matrix\""));
        String gates = assertThrows(MoleFormatException.class,
                () -> MoleFiles.load(moleFolder, new ToyModel(backend, 2, 1))).getMessage();
        assertTrue(gates.startsWith(moleFolder.resolve(MoleFiles.GATES_FILE) + ": no tensor "
                + "'model.layers.0.attn.q_proj.mole_gate.weight' (granularity matrix"), gates);
    }

    @Test
    void writingRefusesAFolderThatHoldsAnotherExpert() throws IOException {
        Mole mole = trainedMole(new ToyModel(backend, 2, 1));
        String message = assertThrows(IllegalArgumentException.class,
                () -> MoleFiles.write(moleFolder, mole, Map.of("a", expertB, "b", expertB))).getMessage();
        assertEquals("expert 'a': " + expertB + " does not hold this expert (tensor "
                + "'base_model.model.model.layers.0.attn.q_proj.lora_A.weight' is missing or differs); give the folder it was "
                + "loaded from", message);
        String names = assertThrows(IllegalArgumentException.class,
                () -> MoleFiles.write(moleFolder, mole, Map.of("a", expertA))).getMessage();
        assertEquals("expert folders are given for [a], but the experts are [a, b]", names);
    }
}
