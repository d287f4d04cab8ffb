package dev.mixtape.models.llama;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.io.SafetensorsFile;
import dev.mixtape.engine.io.SafetensorsWriter;
import dev.mixtape.engine.io.TensorInfo;
import dev.mixtape.engine.vector.VectorBackend;
import dev.mixtape.models.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

import static dev.mixtape.models.llama.BrokenModels.assertNames;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Safetensors files and shard indexes that are corrupt or hostile, and weights holding NaN or ±Inf,
 * are refused in one line naming the file and the shard or tensor at fault.
 */
class HostileWeightsTest {
    private static final String INDEX = "model.safetensors.index.json";
    private final Backend backend = new VectorBackend(1);

    /** The real model split into two shards, {@code a.safetensors} and {@code b.safetensors}, with their index. */
    private Path sharded(Path dir) throws IOException {
        Path folder = BrokenModels.hfFolder(dir);
        Map<String, Tensor> first = new LinkedHashMap<>();
        Map<String, Tensor> second = new LinkedHashMap<>();
        StringBuilder weightMap = new StringBuilder();
        try (SafetensorsFile single = SafetensorsFile.open(folder.resolve("model.safetensors"))) {
            for (String name : single.names()) {
                boolean early = name.startsWith("model.embed") || name.startsWith("model.layers.0.");
                (early ? first : second).put(name, single.read(name, backend));
                weightMap.append(weightMap.isEmpty() ? "" : ",\n").append("    \"").append(name).append("\": \"")
                        .append(early ? "a" : "b").append(".safetensors\"");
            }
        }
        Files.delete(folder.resolve("model.safetensors"));
        SafetensorsWriter.write(folder.resolve("a.safetensors"), first);
        SafetensorsWriter.write(folder.resolve("b.safetensors"), second);
        Files.writeString(folder.resolve(INDEX), "{\n  \"metadata\": {},\n  \"weight_map\": {\n" + weightMap + "\n  }\n}\n");
        return folder;
    }

    private static void editIndex(Path folder, String from, String to) throws IOException {
        Path index = folder.resolve(INDEX);
        String text = Files.readString(index);
        String edited = text.replace(from, to);
        if (edited.equals(text)) {
            throw new AssertionError("'" + from + "' is not in the index");
        }
        Files.writeString(index, edited);
    }

    /** The sharded copy loads the same weights as the single file: the refusals below are not of every index. */
    @Test
    void aPlainShardedFolderLoads(@TempDir Path dir) throws IOException {
        Llama sharded = Llama.load(sharded(dir.resolve("sharded")), backend);
        Llama single = Llama.load(BrokenModels.hfFolder(dir.resolve("single")), backend);
        String name = "model.layers.3.mlp.up_proj.weight";
        assertArrayEquals(single.parameter(name).toFloatArray(), sharded.parameter(name).toFloatArray());
    }

    /** A shard named by a path that leads outside the folder is refused, naming the index, the shard and the tensor. */
    @Test
    void aShardOutsideTheFolderIsRefused(@TempDir Path dir) throws IOException {
        Path folder = sharded(dir);
        Files.copy(folder.resolve("b.safetensors"), dir.resolve("b.safetensors"));
        String tensor = "model.layers.4.mlp.down_proj.weight";

        editIndex(folder, "\"" + tensor + "\": \"b.safetensors\"", "\"" + tensor + "\": \"..\"");
        assertRefused(folder, folder.resolve(INDEX), "shard '..' of tensor '" + tensor + "'", "climbs out");

        editIndex(folder, "\"" + tensor + "\": \"..\"", "\"" + tensor + "\": \"../b.safetensors\"");
        assertRefused(folder, folder.resolve(INDEX), "shard '../b.safetensors'", "not a plain file name");

        editIndex(folder, "\"../b.safetensors\"", "\"" + dir.resolve("b.safetensors") + "\"");
        assertRefused(folder, folder.resolve(INDEX), "of tensor '" + tensor + "'", "not a plain file name");

        editIndex(folder, "\"" + dir.resolve("b.safetensors") + "\"", "\"c.safetensors\"");
        Files.createSymbolicLink(folder.resolve("c.safetensors"), dir.resolve("b.safetensors"));
        assertRefused(folder, folder.resolve(INDEX), "shard 'c.safetensors'", "leads through a link to " + dir.resolve("b.safetensors").toRealPath());

        editIndex(folder, "\"c.safetensors\"", "\"missing.safetensors\"");
        assertRefused(folder, folder.resolve(INDEX), "shard 'missing.safetensors'", "does not exist");

        editIndex(folder, "\"missing.safetensors\"", "5");
        assertRefused(folder, folder.resolve(INDEX), "tensor '" + tensor + "' is 5, not a shard file name");
    }

    /** An index with a second JSON value or garbage after the first, or a tensor listed twice, is refused. */
    @ParameterizedTest
    @ValueSource(strings = {"}\n{}", "} trailing", "}, \"weight_map\": {}"})
    void anIndexWithMoreThanOneValueIsRefused(String ending, @TempDir Path dir) throws IOException {
        Path folder = sharded(dir);
        Path index = folder.resolve(INDEX);
        String text = Files.readString(index).stripTrailing();
        Files.writeString(index, text.substring(0, text.length() - 1) + ending);
        assertRefused(folder, index, "not valid JSON");
    }

    /**
     * Links that stay inside the folder are followed, and so are those of the Hugging Face hub's cache,
     * whose snapshot folders link each file to the repository's blobs; a link out of the folder is not.
     */
    @Test
    void linksAreFollowedOnlyWhereTheyMayLead(@TempDir Path dir) throws IOException {
        Path repository = Files.createDirectories(dir.resolve("hub/models--x/blobs"));
        Path snapshot = Files.createDirectories(dir.resolve("hub/models--x/snapshots/0123"));
        Path real = BrokenModels.hfFolder(dir.resolve("real"));
        for (String name : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(real.resolve(name), repository.resolve(name + ".blob"));
            Files.createSymbolicLink(snapshot.resolve(name), Path.of("../../blobs/" + name + ".blob"));
        }
        Llama.load(snapshot, backend);

        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.copy(real.resolve("config.json"), outside.resolve("config.json"));
        Files.createSymbolicLink(outside.resolve("model.safetensors"), real.resolve("model.safetensors"));
        assertRefused(outside, outside.resolve("model.safetensors"), "leads through a link");
    }

    /** A header whose shape no longer matches its byte range, and a truncated file, are refused naming the file. */
    @Test
    void aCorruptSafetensorsFileIsRefused(@TempDir Path dir) throws IOException {
        Path folder = BrokenModels.hfFolder(dir);
        Path weights = folder.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        String content = new String(bytes, StandardCharsets.ISO_8859_1);
        String name = "model.layers.1.mlp.gate_proj.weight";
        int entry = content.indexOf("\"" + name + "\"");
        int shape = content.indexOf("[172,64]", entry);
        if (entry < 0 || shape < 0 || shape - entry > 80) {
            throw new AssertionError("the header does not hold " + name + " as [172,64]");
        }
        Files.write(weights, content.replaceFirst("(?s)(\"" + name.replace(".", "\\.") + "\".{0,80}?)\\[172,64]", "$1[172,65]")
                .getBytes(StandardCharsets.ISO_8859_1));
        assertRefused(folder, weights, name, "F32 [172, 65] needs");

        Files.write(weights, bytes);
        try (FileChannel channel = FileChannel.open(weights, StandardOpenOption.WRITE)) {
            channel.truncate(bytes.length - 4);
        }
        assertRefused(folder, weights, "truncated or corrupt");
    }

    /**
     * NaN, +Inf or −Inf in a weight, in its middle or as its last element, is refused naming the file,
     * the tensor and the element; when asked, the model loads with it (and a warning).
     */
    @ParameterizedTest
    @ValueSource(floats = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY})
    void aNonFiniteWeightIsRefusedNamingTheTensor(float bad, @TempDir Path dir) throws IOException {
        Path folder = BrokenModels.hfFolder(dir);
        String tensor = "model.layers.2.self_attn.o_proj.weight";
        for (int element : new int[] {37, 64 * 64 - 1}) {
            Path weights = folder.resolve("model.safetensors");
            byte[] original = Files.readAllBytes(weights);
            overwrite(weights, tensor, element, bad);
            assertRefused(folder, folder, "tensor '" + tensor + "' holds " + bad + " at element " + element);
            Llama loaded = Llama.load(folder, backend, DType.F32, NonFiniteWeights.WARN);
            float[] values = loaded.parameter(tensor).toFloatArray();
            assertArrayEquals(new float[] {bad}, new float[] {values[element]});
            Files.write(weights, original);
        }
    }

    /**
     * A quantised GGUF whose sixth Q8_0 block of a matrix has an infinite scale (every element of that
     * block then ±Inf or NaN) is refused naming the tensor and the block's first element, 160 in rows
     * of 64, as a non-finite float weight is.
     */
    @Test
    void aNonFiniteScaleInAQuantisedGgufIsRefusedNamingTheTensor(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("stories260K-q8_0.gguf");
        try (InputStream in = HostileWeightsTest.class.getResourceAsStream("/dev/mixtape/models/quant/stories260K-q8_0.gguf")) {
            Files.copy(in, file);
        }
        long scale;
        try (GgufFile gguf = GgufFile.open(file)) {
            scale = gguf.dataOffset() + gguf.tensor("blk.1.attn_output.weight").offset() + 5L * 34;
        }
        try (RandomAccessFile raw = new RandomAccessFile(file.toFile(), "rw")) {
            raw.seek(scale);
            raw.write(new byte[] {0x00, 0x7C});
        }
        assertRefused(file, file, "tensor 'model.layers.1.self_attn.o_proj.weight' holds ", " at element 160 ");
    }

    /** Writes {@code value} over element {@code element} of F32 tensor {@code tensor}, in place. */
    private static void overwrite(Path file, String tensor, int element, float value) throws IOException {
        long dataStart;
        TensorInfo info;
        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            info = read.info(tensor);
        }
        try (RandomAccessFile raw = new RandomAccessFile(file.toFile(), "rw")) {
            byte[] length = new byte[8];
            raw.readFully(length);
            dataStart = 8 + ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).getLong();
            raw.seek(dataStart + info.begin() + 4L * element);
            raw.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value).array());
        }
    }

    private void assertRefused(Path folder, Path file, String... parts) {
        Exception e = assertThrows(Exception.class, () -> Llama.load(folder, backend));
        assertNames(e.getMessage(), file, parts);
    }
}
