package dev.mixtape.models.llama;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.io.SafetensorsFile;

import java.io.CharConversionException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
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
                SafetensorsFile file = SafetensorsFile.open(folder.resolve(SINGLE));
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
        JsonNode weightMap;
        try {
            weightMap = new ObjectMapper().readTree(index.toFile()).path("weight_map");
        } catch (JsonProcessingException | CharConversionException e) {
            throw new IOException(index + ": not valid JSON: " + e.getMessage(), e);
        }
        if (!weightMap.isObject()) {
            throw new IOException(index + ": no \"weight_map\" object");
        }
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String shardName = entry.getValue().asText();
            if (shardName.contains("/") || shardName.contains("\\") || shardName.indexOf('\0') >= 0) {
                throw new IOException(index + ": shard name '" + shardName + "' of tensor '" + entry.getKey() + "' is not a plain file name");
            }
            SafetensorsFile shard = shards.get(shardName);
            if (shard == null) {
                if (!Files.isRegularFile(folder.resolve(shardName))) {
                    throw new IOException(index + ": shard '" + shardName + "' of tensor '" + entry.getKey() + "' is not a file in " + folder);
                }
                shard = SafetensorsFile.open(folder.resolve(shardName));
                shards.put(shardName, shard);
                files.add(shard);
            }
            if (!shard.contains(entry.getKey())) {
                throw new IOException(index + ": tensor '" + entry.getKey() + "' is listed in " + shardName + " but not there");
            }
            fileOf.put(entry.getKey(), shard);
        }
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
    public Tensor read(String name, Backend backend) throws IOException {
        SafetensorsFile file = fileOf.get(name);
        if (file == null) {
            throw new IOException(folder + ": no tensor '" + name + "'");
        }
        return file.read(name, backend);
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
