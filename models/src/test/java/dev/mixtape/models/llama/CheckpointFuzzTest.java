package dev.mixtape.models.llama;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mixtape.engine.Backend;
import dev.mixtape.engine.FuzzedFiles;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.io.SafetensorsException;
import dev.mixtape.engine.vector.VectorBackend;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fuzz targets of the checkpoint readers behind {@link Checkpoints#open} (docs/FUZZING.md): GGUF,
 * llama2.c and Hugging Face folders, single-file and sharded. Their own errors are those the
 * {@link Checkpoint} readers document, each naming the file or folder: {@link IOException} (GGUF's
 * {@code GgufFormatException} among them), {@link SafetensorsException}, {@link IllegalArgumentException}
 * (a config value out of range, a GGUF metadata key of the wrong type) and
 * {@link UnsupportedOperationException} (a GGUF tensor type that cannot be dequantised). A checkpoint
 * that opens must read every weight it lists; an HF folder {@link HfWriter} wrote must read back
 * exactly.
 */
@Timeout(10)
class CheckpointFuzzTest {
    private static final List<Class<? extends Exception>> OWN_ERRORS = List.of(IOException.class,
            SafetensorsException.class, IllegalArgumentException.class, UnsupportedOperationException.class);
    private static final Backend BACKEND = new VectorBackend(1);
    private static final String TINY_CONFIG = """
            {"model_type": "llama", "hidden_size": 4, "intermediate_size": 6, "num_hidden_layers": 1,
             "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 8, "tie_word_embeddings": true}""";

    /** Any bytes as a {@code .gguf} checkpoint: the {@code llama.*} config and the renamed tensors. */
    @FuzzTest
    void gguf(byte[] bytes) throws IOException {
        Path file = FuzzedFiles.write("model.gguf", bytes);
        FuzzedFiles.readOrRefuse(file, OWN_ERRORS, () -> readEverything(file));
    }

    /** Any bytes as a llama2.c {@code .bin} checkpoint. */
    @FuzzTest
    void llama2c(byte[] bytes) throws IOException {
        Path file = FuzzedFiles.write("model.bin", bytes);
        FuzzedFiles.readOrRefuse(file, OWN_ERRORS, () -> readEverything(file));
    }

    /**
     * A llama2.c header of fuzzer-chosen sizes (mostly small and plausible) followed by exactly the
     * floats it implies, or a few bytes more or fewer, so that the reader's layout arithmetic and
     * every tensor read are reached.
     */
    @FuzzTest
    void llama2cSized(FuzzedDataProvider data) throws IOException {
        int[] header = new int[7];
        for (int i = 0; i < header.length; i++) {
            header[i] = data.consumeBoolean() ? data.consumeInt(1, 8) : data.consumeInt();
        }
        if (data.consumeBoolean()) {
            header[5] = -Math.abs(header[5]);
        }
        long floats = llama2cFloats(header);
        long extraBytes = data.consumeBoolean() ? 0 : data.consumeInt(-8, 8);
        long size = 28 + 4 * floats + extraBytes;
        if (floats < 0 || size < 0 || size > 1 << 20) {
            size = 28 + data.consumeInt(0, 64);
        }
        ByteBuffer bytes = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        for (int value : header) {
            if (bytes.remaining() >= 4) {
                bytes.putInt(value);
            }
        }
        while (bytes.remaining() >= 4) {
            bytes.putFloat(data.consumeFloat());
        }
        llama2c(bytes.array());
    }

    /**
     * A Hugging Face folder with a valid tiny {@code config.json} (or the fuzzer's) and either a
     * {@code model.safetensors} of fuzzer bytes, or a {@code model.safetensors.index.json} whose
     * weight map sends fuzzer-chosen tensor names to fuzzer-chosen shard names, beside two shards of
     * fuzzer bytes.
     */
    @FuzzTest
    void hfFolder(FuzzedDataProvider data) throws IOException {
        Path folder = FuzzedFiles.emptyFolder();
        Files.writeString(folder.resolve("config.json"), data.consumeBoolean() ? TINY_CONFIG : data.consumeString(200));
        if (data.consumeBoolean()) {
            Files.write(folder.resolve("model.safetensors"), data.consumeRemainingAsBytes());
        } else {
            StringBuilder index = new StringBuilder("{\"weight_map\": {");
            for (int i = data.consumeInt(0, 3); i > 0; i--) {
                String shard = data.consumeBoolean() ? "model-0000" + data.consumeInt(1, 2) + ".safetensors" : data.consumeString(16);
                index.append(quote(data.consumeString(24))).append(": ").append(quote(shard)).append(i > 1 ? ", " : "");
            }
            Files.writeString(folder.resolve("model.safetensors.index.json"),
                    data.consumeBoolean() ? index + "}}" : data.consumeString(100), StandardCharsets.UTF_8);
            Files.write(folder.resolve("model-00001.safetensors"), data.consumeBytes(data.consumeInt(0, 512)));
            Files.write(folder.resolve("model-00002.safetensors"), data.consumeRemainingAsBytes());
        }
        FuzzedFiles.readOrRefuse(folder, OWN_ERRORS, () -> readEverything(folder));
    }

    /**
     * A Llama of fuzzer-chosen shape and constants (heads over kv heads, head size, RoPE theta and
     * scaling, norm epsilon, tied head, BOS/EOS ids or none) written by {@link HfWriter} and opened by
     * {@link Checkpoints#open}: the config reads back equal and every weight bit for bit. A folder the
     * writer wrote that the reader refuses fails the target.
     */
    @FuzzTest
    void hfWriteThenOpen(FuzzedDataProvider data) throws IOException {
        int kvHeads = data.consumeInt(1, 2);
        int heads = kvHeads * data.consumeInt(1, 2);
        RopeScaling scaling = data.consumeBoolean() ? null : new RopeScaling(data.consumeRegularDouble(1, 64),
                data.consumeRegularDouble(0.5, 2), data.consumeRegularDouble(2.5, 8), data.consumeInt(1, 8192));
        int dim = data.consumeInt(1, 8);
        int hidden = data.consumeInt(1, 8);
        int layers = data.consumeInt(1, 2);
        int headDim = 2 * data.consumeInt(1, 2);
        int vocab = data.consumeInt(1, 8);
        LlamaConfig config = new LlamaConfig(dim, hidden, layers, heads, kvHeads, headDim, vocab, data.consumeInt(1, 4096),
                data.consumeRegularDouble(1e-12, 0.1), data.consumeRegularDouble(1, 1e7), scaling, data.consumeBoolean(),
                data.consumeInt(-1, vocab - 1), data.consumeInt(-1, vocab - 1));
        Llama model = Llama.random(config, BACKEND, data.consumeLong());
        Path folder = FuzzedFiles.emptyFolder();
        HfWriter.write(model, null, folder);
        try (Checkpoint checkpoint = Checkpoints.open(folder)) {
            assertEquals(config, checkpoint.config());
            assertEquals(model.namedParameters().keySet(), Set.copyOf(checkpoint.names()));
            for (Map.Entry<String, Tensor> weight : model.namedParameters().entrySet()) {
                assertArrayEquals(weight.getValue().toFloatArray(), checkpoint.read(weight.getKey(), BACKEND).toFloatArray());
            }
        }
    }

    private static void readEverything(Path path) throws IOException {
        try (Checkpoint checkpoint = Checkpoints.open(path)) {
            checkpoint.config();
            checkpoint.dtypes();
            for (String name : checkpoint.names()) {
                checkpoint.read(name, BACKEND);
            }
        }
    }

    /** The floats after a llama2.c header, as llama2.c's run.c lays them out; negative on overflow. */
    private static long llama2cFloats(int[] h) {
        try {
            long dim = h[0];
            long hidden = h[1];
            long layers = h[2];
            long heads = h[3];
            long kvDim = heads == 0 ? 0 : dim * h[4] / heads;
            long vocab = Math.abs((long) h[5]);
            long headDim = heads == 0 ? 0 : dim / heads;
            long perLayer = Math.addExact(Math.addExact(2 * dim, Math.multiplyExact(2 * dim, dim)),
                    Math.addExact(Math.multiplyExact(2 * kvDim, dim), Math.multiplyExact(3 * hidden, dim)));
            long total = Math.addExact(Math.multiplyExact(vocab, dim), Math.multiplyExact(layers, perLayer));
            total = Math.addExact(total, dim + Math.multiplyExact(h[6], headDim));
            return h[5] < 0 ? Math.addExact(total, Math.multiplyExact(vocab, dim)) : total;
        } catch (ArithmeticException e) {
            return -1;
        }
    }

    private static String quote(String text) {
        StringBuilder quoted = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\' || c < 0x20) {
                quoted.append(String.format("\\u%04x", (int) c));
            } else {
                quoted.append(c);
            }
        }
        return quoted.append('"').toString();
    }
}
