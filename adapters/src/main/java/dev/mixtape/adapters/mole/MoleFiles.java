package dev.mixtape.adapters.mole;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.ContainedPaths;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.engine.Shapes;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.io.AtomicFile;
import dev.mixtape.engine.io.FiniteScan;
import dev.mixtape.engine.io.SafetensorsFile;
import dev.mixtape.engine.io.SafetensorsWriter;
import dev.mixtape.engine.nn.Module;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * MoLE folders: {@value #CONFIG_FILE}, the {@link MoleConfig} and the experts, and {@value #GATES_FILE},
 * the gates as {@link Mole#namedParameters()} names them. The folder holds a copy of each expert's
 * PEFT files in {@code experts/<name>/}, recorded by that path (relative, with {@code /} between
 * names) and by the SHA-256 of its two files, so it can be moved or shared whole; loading refuses a
 * path that leads outside the folder (absolute, {@code ..}, a link out) and checks that the experts
 * have not changed since the gates were trained.
 * <pre>{@code
 * {
 *   "mole_format": 1,
 *   "granularity": "layer",              // matrix | layer | block | network
 *   "gate_input": "expert_outputs",      // expert_outputs | module_input
 *   "pooling": "token",                  // token | mean
 *   "temperature": 1.0,                  // the starting value when learnable; the learnt one is in the gates file
 *   "learnable_temperature": false,
 *   "balance_weight": 0.5,
 *   "experts": [ { "name": "math", "path": "experts/math",
 *                  "adapter_config_sha256": "…", "adapter_model_sha256": "…" } ]
 * }
 * }</pre>
 * <pre>{@code
 * MoleFiles.write(Path.of("runs/mole"), mole, Map.of("math", Path.of("experts/math"), "code", Path.of("experts/code")));
 * Mole loaded = MoleFiles.load(Path.of("runs/mole"), freshLlama);
 * }</pre>
 */
public final class MoleFiles {
    /** The settings file's name in a MoLE folder. */
    public static final String CONFIG_FILE = "mole_config.json";
    /** The gates file's name in a MoLE folder. */
    public static final String GATES_FILE = "mole_gates.safetensors";

    /** The folder of a MoLE folder that holds the experts' copies. */
    private static final String EXPERTS_FOLDER = "experts";

    private static final String PEFT_PREFIX = "base_model.model.";
    private static final List<String> FACTORS = List.of("lora_A", "lora_AB", "lora_B");

    private MoleFiles() {
    }

    /**
     * Writes {@code mole} to {@code folder} (created if absent): a copy of each expert's files into
     * {@code experts/<name>/} (unless they are there already), the gates, then the config, each
     * atomically. {@code expertFolders} gives the PEFT folder of every expert, by name; each folder's
     * weights must equal the expert's in the model (so that the MoLE folder cannot point at other
     * experts than the ones its gates were trained with), else an {@link IllegalArgumentException}
     * names the expert, the folder and the first tensor that differs.
     */
    public static void write(Path folder, Mole mole, Map<String, Path> expertFolders) throws IOException {
        if (!expertFolders.keySet().equals(Set.copyOf(mole.experts()))) {
            throw new IllegalArgumentException("expert folders are given for " + expertFolders.keySet() + ", but the experts are "
                    + mole.experts());
        }
        for (Adapter expert : mole.expertAdapters()) {
            requireSameWeights(expert, expertFolders.get(expert.name()));
        }
        Files.createDirectories(folder);
        List<MoleConfigJson.Expert> experts = new ArrayList<>();
        for (String name : mole.experts()) {
            String relative = EXPERTS_FOLDER + "/" + name;
            Path copy;
            try {
                copy = ContainedPaths.resolve(folder, relative, folder);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("expert '" + name + "': the name cannot be a folder of " + folder + ": " + relative
                        + " " + e.getMessage(), e);
            }
            copyInto(expertFolders.get(name), copy);
            experts.add(new MoleConfigJson.Expert(name, relative, sha256(copy.resolve(PeftFiles.CONFIG_FILE)),
                    sha256(copy.resolve(PeftFiles.WEIGHTS_FILE))));
        }
        SafetensorsWriter.write(folder.resolve(GATES_FILE), mole.namedParameters());
        MoleConfigJson.write(folder.resolve(CONFIG_FILE), new MoleConfigJson.Contents(mole.config(), experts));
    }

    /**
     * Loads the MoLE in {@code folder} into {@code model} (the base model its gates were trained on,
     * without adapters): checks every expert folder against the recorded hashes, loads the experts with
     * {@link PeftFiles#load} under their recorded names, {@link Mole#attach attaches} the MoLE and reads
     * the gates. A changed or missing expert file, a malformed setting or a gate tensor that is missing,
     * unused, of the wrong shape or holding NaN or ±Inf is a {@link MoleFormatException} naming it; the hashes are checked
     * before the model is changed.
     */
    public static Mole load(Path folder, Module model) throws IOException {
        Path configFile = folder.resolve(CONFIG_FILE);
        MoleConfigJson.Contents contents = contents(folder);
        Map<String, Path> expertFolders = resolve(folder, contents);
        for (MoleConfigJson.Expert expert : contents.experts()) {
            Path expertFolder = expertFolders.get(expert.name());
            requireUnchanged(configFile, expert, expertFolder.resolve(PeftFiles.CONFIG_FILE), expert.configSha256());
            requireUnchanged(configFile, expert, expertFolder.resolve(PeftFiles.WEIGHTS_FILE), expert.weightsSha256());
        }
        for (MoleConfigJson.Expert expert : contents.experts()) {
            PeftFiles.load(expertFolders.get(expert.name()), model, expert.name());
        }
        Mole mole = Mole.attach(model, new ArrayList<>(expertFolders.keySet()), contents.config());
        readGates(folder.resolve(GATES_FILE), mole);
        return mole;
    }

    /** The expert folders a MoLE folder records, by expert name, resolved against {@code folder}: what {@link #write} needs again. */
    public static Map<String, Path> expertFolders(Path folder) throws IOException {
        return resolve(folder, contents(folder));
    }

    /** Copies an expert's two PEFT files from {@code source} into {@code copy}, unless both are the same folder. */
    private static void copyInto(Path source, Path copy) throws IOException {
        Files.createDirectories(copy);
        if (Files.isSameFile(source, copy)) {
            return;
        }
        for (String file : new String[] {PeftFiles.CONFIG_FILE, PeftFiles.WEIGHTS_FILE}) {
            AtomicFile.write(copy.resolve(file), Files.readAllBytes(source.resolve(file)));
        }
    }

    private static MoleConfigJson.Contents contents(Path folder) throws IOException {
        Path configFile = folder.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(configFile)) {
            throw new IOException(folder + ": not a MoLE folder (no " + CONFIG_FILE + ")");
        }
        return MoleConfigJson.read(configFile);
    }

    /** Each expert's folder, by name; a recorded path leading outside {@code folder} is refused naming the expert. */
    private static Map<String, Path> resolve(Path folder, MoleConfigJson.Contents contents) throws IOException {
        Map<String, Path> out = new LinkedHashMap<>();
        for (MoleConfigJson.Expert expert : contents.experts()) {
            try {
                out.put(expert.name(), ContainedPaths.resolve(folder, expert.path(), folder));
            } catch (IllegalArgumentException e) {
                throw new MoleFormatException(folder.resolve(CONFIG_FILE), "expert '" + expert.name() + "': path \""
                        + expert.path() + "\" " + e.getMessage(), e);
            }
        }
        return out;
    }

    private static void requireSameWeights(Adapter expert, Path expertFolder) throws IOException {
        Path file = expertFolder.resolve(PeftFiles.WEIGHTS_FILE);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("expert '" + expert.name() + "': " + expertFolder + " holds no " + PeftFiles.WEIGHTS_FILE);
        }
        Map<String, Tensor> parameters = expert.namedParameters();
        try (SafetensorsFile weights = SafetensorsFile.open(file)) {
            for (String layer : expert.layerNames()) {
                for (String factor : FACTORS) {
                    Tensor parameter = parameters.get(layer + "." + factor + "." + expert.name() + ".weight");
                    String stored = PEFT_PREFIX + layer + "." + factor + ".weight";
                    if (parameter != null && (!weights.contains(stored)
                            || !Arrays.equals(weights.readFloats(stored), parameter.toFloatArray()))) {
                        throw new IllegalArgumentException("expert '" + expert.name() + "': " + expertFolder + " does not hold "
                                + "this expert (tensor '" + stored + "' is missing or differs); give the folder it was loaded from");
                    }
                }
            }
        }
    }

    private static void requireUnchanged(Path configFile, MoleConfigJson.Expert expert, Path file, String recorded) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new MoleFormatException(configFile, "expert '" + expert.name() + "': " + file + " is missing (folder \""
                    + expert.path() + "\", relative to the MoLE folder)");
        }
        String now = sha256(file);
        if (!now.equals(recorded)) {
            throw new MoleFormatException(configFile, "expert '" + expert.name() + "': " + file + " has changed since this MoLE "
                    + "was saved (SHA-256 " + recorded + " recorded, " + now + " now); its gates were trained with the old expert");
        }
    }

    private static void readGates(Path file, Mole mole) throws IOException {
        try (SafetensorsFile gates = SafetensorsFile.open(file)) {
            Set<String> unused = new LinkedHashSet<>(gates.names());
            for (Map.Entry<String, Tensor> entry : mole.namedParameters().entrySet()) {
                String name = entry.getKey();
                Tensor parameter = entry.getValue();
                if (!gates.contains(name)) {
                    throw new MoleFormatException(file, "no tensor '" + name + "' (granularity " + mole.config().granularity().jsonName()
                            + ", gates " + mole.gateNames() + ")");
                }
                int[] shape = gates.info(name).shape();
                if (!Arrays.equals(shape, parameter.shape())) {
                    throw new MoleFormatException(file, "tensor '" + name + "' has shape " + Shapes.str(shape) + ", the MoLE needs "
                            + Shapes.str(parameter.shape()));
                }
                float[] values = gates.readFloats(name);
                int bad = FiniteScan.firstNonFinite(values);
                if (bad >= 0) {
                    throw new MoleFormatException(file, "tensor '" + name + "' holds " + values[bad] + " at element " + bad
                            + " (corrupt or diverged gates)");
                }
                parameter.assign(Tensor.of(parameter.backend(), values, shape));
                unused.remove(name);
            }
            if (!unused.isEmpty()) {
                throw new MoleFormatException(file, "tensors that no gate uses: " + unused);
            }
        }
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256, which every Java platform must provide", e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n = in.read(buffer); n != -1; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
