package dev.mixtape.models.llama;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mixtape.adapters.ContainedPaths;
import dev.mixtape.engine.io.StrictJson;
import dev.mixtape.engine.io.SafetensorsFile;
import dev.mixtape.engine.io.TensorInfo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A Hugging Face model folder: {@code config.json} plus either one {@code model.safetensors} or
 * shards listed in {@code model.safetensors.index.json}. Files are memory-mapped; F32, F16 and BF16
 * weights are read as f32. Already in the HF layout, so nothing is permuted.
 */
public final class HfCheckpoint implements Checkpoint {
    private static final String SINGLE = "model.safetensors";
    private static final String INDEX = "model.safetensors.index.json";

    private final Path folder;
    private final LlamaConfig config;
    private final Map<String, SafetensorsFile> fileOf;
    private final List<SafetensorsFile> files;

    private HfCheckpoint(Path folder, LlamaConfig config, Map<String, SafetensorsFile> fileOf, List<SafetensorsFile> files) {
        this.folder = folder;
        this.config = config;
        this.fileOf = fileOf;
        this.files = files;
    }

    /** Opens the folder; errors name the missing or malformed file. */
    public static HfCheckpoint open(Path folder) throws IOException {
        Path configJson = folder.resolve("config.json");
        if (!Files.isRegularFile(configJson)) {
            throw new IOException(folder + ": not a Hugging Face model folder (no config.json)");
        }
        LlamaConfig config = HfConfigReader.read(configJson);
        Map<String, SafetensorsFile> fileOf = new LinkedHashMap<>();
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            if (Files.isRegularFile(folder.resolve(SINGLE))) {
                SafetensorsFile file = SafetensorsFile.open(singleFile(folder));
                files.add(file);
                for (String name : file.names()) {
                    fileOf.put(name, file);
                }
            } else if (Files.isRegularFile(folder.resolve(INDEX))) {
                openShards(folder, fileOf, files);
            } else {
                throw new IOException(folder + ": neither " + SINGLE + " nor " + INDEX + " is present");
            }
        } catch (IOException | RuntimeException e) {
            for (SafetensorsFile file : files) {
                file.close();
            }
            throw e;
        }
        return new HfCheckpoint(folder, config, fileOf, files);
    }

    private static void openShards(Path folder, Map<String, SafetensorsFile> fileOf, List<SafetensorsFile> files) throws IOException {
        Path index = folder.resolve(INDEX);
        JsonNode root;
        try {
            root = StrictJson.read(index);
        } catch (JsonProcessingException e) {
            throw new IOException(index + ": not valid JSON: " + StrictJson.problem(e), e);
        }
        JsonNode weightMap = root.path("weight_map");
        if (!weightMap.isObject() || weightMap.isEmpty()) {
            throw new IOException(index + ": no \"weight_map\" object naming the shard of each tensor");
        }
        Path linkRoot = linkRoot(folder);
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : weightMap.properties()) {
            String tensor = entry.getKey();
            if (!entry.getValue().isTextual()) {
                throw new IOException(index + ": weight_map entry of tensor '" + tensor + "' is " + entry.getValue()
                        + ", not a shard file name");
            }
            String shardName = entry.getValue().asText();
            SafetensorsFile shard = shards.get(shardName);
            if (shard == null) {
                shard = SafetensorsFile.open(shardFile(folder, linkRoot, index, tensor, shardName));
                shards.put(shardName, shard);
                files.add(shard);
            }
            if (!shard.contains(tensor)) {
                throw new IOException(index + ": tensor '" + tensor + "' is listed in " + shardName + " but not there");
            }
            fileOf.put(tensor, shard);
        }
    }

    /** The shard {@code name} of {@code tensor}: a plain file of the folder (no folders, no {@code ..}, no link out of it). */
    private static Path shardFile(Path folder, Path linkRoot, Path index, String tensor, String name) throws IOException {
        try {
            return plainFile(folder, linkRoot, name);
        } catch (IllegalArgumentException e) {
            throw new IOException(index + ": shard '" + name + "' of tensor '" + tensor + "' " + e.getMessage(), e);
        }
    }

    /** The regular file {@code name} of {@code folder}, or an IllegalArgumentException saying why it may not be read. */
    private static Path plainFile(Path folder, Path linkRoot, String name) throws IOException {
        if (name.contains("/") || name.contains("\\") || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("is not a plain file name");
        }
        Path file = ContainedPaths.resolve(folder, name, linkRoot);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(Files.exists(file) ? "is not a regular file" : "does not exist");
        }
        return file;
    }

    private static Path singleFile(Path folder) throws IOException {
        try {
            return plainFile(folder, linkRoot(folder), SINGLE);
        } catch (IllegalArgumentException e) {
            throw new IOException(folder.resolve(SINGLE) + ": " + e.getMessage(), e);
        }
    }

    /**
     * The folder that links from {@code folder} may lead into: the folder itself, or, in the Hugging
     * Face hub's cache ({@code <repo>/snapshots/<revision>/}, whose files link to {@code <repo>/blobs/}),
     * the repository's folder.
     */
    private static Path linkRoot(Path folder) throws IOException {
        Path real = folder.toRealPath();
        Path parent = real.getParent();
        boolean hubSnapshot = parent != null && parent.getFileName() != null && parent.getFileName().toString().equals("snapshots")
                && Files.isDirectory(parent.resolveSibling("blobs"));
        return hubSnapshot ? parent.getParent() : real;
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public List<String> names() {
        List<String> names = new ArrayList<>();
        for (String name : fileOf.keySet()) {
            if (!name.endsWith("rotary_emb.inv_freq")) {
                names.add(name);
            }
        }
        return names;
    }

    @Override
    public int[] shape(String name) throws IOException {
        return fileOf(name).info(name).shape();
    }

    @Override
    public float[] readFloats(String name) throws IOException {
        return fileOf(name).readFloats(name);
    }

    private SafetensorsFile fileOf(String name) throws IOException {
        SafetensorsFile file = fileOf.get(name);
        if (file == null) {
            throw new IOException(folder + ": no tensor '" + name + "'");
        }
        return file;
    }

    @Override
    public StoredTensor stored(String name) throws IOException {
        TensorInfo info = fileOf(name).info(name);
        return new StoredTensor(info.dtype().name(), info.byteSize());
    }

    @Override
    public Set<String> dtypes() {
        Set<String> types = new TreeSet<>();
        for (Map.Entry<String, SafetensorsFile> entry : fileOf.entrySet()) {
            types.add(entry.getValue().info(entry.getKey()).dtype().name());
        }
        return types;
    }

    @Override
    public String source() {
        return folder.toString();
    }

    @Override
    public void close() {
        for (SafetensorsFile file : files) {
            file.close();
        }
    }
}
