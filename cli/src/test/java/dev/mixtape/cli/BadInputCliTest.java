package dev.mixtape.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixtape.engine.SharedFiles;
import dev.mixtape.models.train.CharacterTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each kind of bad input, made from the real files in {@code shared/}, through the command line: exit
 * status 1, nothing on stdout, and on stderr one line that names the file and the field, tensor or
 * line at fault, with no stack trace.
 */
class BadInputCliTest {
    @TempDir
    Path dir;

    private final Path tokenizer = SharedFiles.require("models/stories260K/tok512.bin");

    private static void assertOneLine(CliRun run, String... parts) {
        assertEquals(1, run.status(), run.err());
        assertEquals("", run.out());
        String err = run.err().strip();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("mixtape: ") && !err.contains("Exception") && !err.contains("\tat "), err);
        for (String part : parts) {
            assertTrue(err.contains(part), "'" + part + "' is not in: " + err);
        }
    }

    private Path hfCopy(String name) throws IOException {
        Path source = SharedFiles.require("models/stories260K/hf");
        Path copy = Files.createDirectories(dir.resolve(name));
        for (String file : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(source.resolve(file), copy.resolve(file));
        }
        return copy;
    }

    private CliRun generate(Path model, String... more) {
        String[] args = {"generate", "--model", model.toString(), "--tokenizer", tokenizer.toString(), "--prompt", "Once", "--max-new-tokens", "5"};
        String[] all = Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return CliRun.of(all);
    }

    @Test
    void aConfigWhoseProductOverflowsIsOneLine() throws IOException {
        Path model = hfCopy("heads");
        Path config = model.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"num_attention_heads\": 8", "\"num_attention_heads\": 8, \"head_dim\": 1073741824"));
        assertOneLine(generate(model), config.toString(), "num_attention_heads × head_dim × hidden_size");
    }

    @Test
    void aConfigWithASecondObjectIsOneLine() throws IOException {
        Path model = hfCopy("trailing");
        Path config = model.resolve("config.json");
        Files.writeString(config, Files.readString(config) + "{\"hidden_size\": 1}\n");
        assertOneLine(generate(model), config.toString(), "more content after the JSON value");
    }

    @Test
    void aTruncatedSafetensorsFileIsOneLine() throws IOException {
        Path model = hfCopy("truncated");
        Path weights = model.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        Files.write(weights, Arrays.copyOf(bytes, bytes.length - 100));
        assertOneLine(generate(model), weights.toString(), "model.norm.weight", "truncated or corrupt");
    }

    @Test
    void aWeightsFileLinkedFromOutsideIsOneLine() throws IOException {
        Path model = hfCopy("linked");
        Files.delete(model.resolve("model.safetensors"));
        Path link = Files.createSymbolicLink(model.resolve("model.safetensors"), SharedFiles.require("models/stories260K/hf/model.safetensors"));
        try {
            assertOneLine(generate(model), link.toString(), "leads through a link");
        } finally {
            Files.delete(link);
        }
    }

    /** A NaN in a llama2.c checkpoint is refused by default and loaded with one warning line when asked. */
    @Test
    void aNanWeightIsOneLineAndLoadsWhenAsked() throws IOException {
        Path model = dir.resolve("nan.bin");
        byte[] bytes = Files.readAllBytes(SharedFiles.require("models/stories260K/stories260K.bin"));
        int embedding = 512 * 64;
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putFloat(28 + 4 * (embedding + 10), Float.NaN);
        Files.write(model, bytes);
        assertOneLine(generate(model), model.toString(), "tensor 'model.layers.0.input_layernorm.weight' holds NaN at element 10");

        CliRun allowed = generate(model, "--allow-nonfinite-weights");
        assertEquals(0, allowed.status(), allowed.err());
        assertTrue(allowed.err().contains("mixtape: warning: " + model + ": tensor 'model.layers.0.input_layernorm.weight' holds NaN"),
                allowed.err());
    }

    /** A GGUF whose head count is zero is refused naming the file and the field. */
    @Test
    void aGgufWithZeroHeadsIsOneLine() throws IOException {
        Path model = dir.resolve("zero-heads.gguf");
        byte[] bytes = Files.readAllBytes(SharedFiles.require("models/stories260K/stories260K.gguf"));
        byte[] key = "llama.attention.head_count".getBytes(StandardCharsets.US_ASCII);
        int at = indexOfKey(bytes, key);
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(4, buffer.getInt(at + key.length), "head_count is not a UINT32");
        buffer.putInt(at + key.length + 4, 0);
        Files.write(model, bytes);
        assertOneLine(generate(model), model.toString(), "llama.attention.head_count is 0; it must be positive");
    }

    /** Where {@code key} is stored as a whole key (not as the start of a longer one). */
    private static int indexOfKey(byte[] bytes, byte[] key) {
        for (int i = 0; i + key.length < bytes.length; i++) {
            if (Arrays.equals(bytes, i, i + key.length, key, 0, key.length) && bytes[i + key.length] != '_') {
                return i;
            }
        }
        throw new AssertionError("no key " + new String(key, StandardCharsets.US_ASCII));
    }

    @Test
    void aTokenizerWithAHostileRegexIsOneLine() throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(SharedFiles.require("tokenizers/smollm2/tokenizer.json").toFile());
        ObjectNode split = ((ArrayNode) root.path("pre_tokenizer").path("pretokenizers")).insertObject(0);
        split.put("type", "Split").put("behavior", "Isolated").put("invert", false).putObject("pattern").put("Regex", "(\\w+\\s?)*$");
        Path hostile = dir.resolve("tokenizer.json");
        json.writeValue(hostile.toFile(), root);
        assertOneLine(CliRun.of("generate", "--model", SharedFiles.require("models/stories260K/stories260K.gguf").toString(),
                "--tokenizer", hostile.toString()), hostile.toString(), "(\\w+\\s?)*$");
    }

    @Test
    void aTokenizerSmallerThanTheModelIsOneLine() throws IOException {
        Path small = CharacterTokenizer.write(dir.resolve("char"));
        assertOneLine(CliRun.of("generate", "--model", SharedFiles.require("models/stories260K/stories260K.gguf").toString(),
                "--tokenizer", small.toString()), small.toString(), "fewer than the model's vocabulary of 512");
    }

    /**
     * The tokenizer is read on a thread of its own while the weights load: its error is still one line
     * naming its file, and when the model is bad as well, the model's error is the one reported, as when
     * the two were read in turn.
     */
    @Test
    void aBadTokenizerIsOneLineAndABadModelBesideItIsTheOneReported() throws IOException {
        Path garbage = Files.writeString(dir.resolve("tokenizer.bin"), "not a tokenizer");
        assertOneLine(CliRun.of("generate", "--model", SharedFiles.require("models/stories260K/stories260K.gguf").toString(),
                "--tokenizer", garbage.toString()), garbage.toString());
        Path truncated = Files.writeString(dir.resolve("model.bin"), "short");
        assertOneLine(CliRun.of("generate", "--model", truncated.toString(), "--tokenizer", garbage.toString()),
                truncated.toString(), "too short for a llama2.c header");
    }

    @Test
    void aJsonLinesRecordWithGarbageAfterItIsOneLine() throws IOException {
        Path data = dir.resolve("data.jsonl");
        Files.writeString(data, "{\"text\": \"Once upon a time\"}\n{\"text\": \"there was\"} {\"text\": \"a cat\"}\n");
        assertOneLine(CliRun.of("eval", "--model", SharedFiles.require("models/stories260K/stories260K.gguf").toString(),
                "--tokenizer", tokenizer.toString(), "--data", data.toString()), data + ":2: not valid JSON");
    }
}
