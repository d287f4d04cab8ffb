package dev.mixtape.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixtape.engine.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SmolLM2's byte-level tokenizer.json against the ids and texts that Hugging Face's own tokenizers
 * library gives (fixture made by {@code models/src/test/fixtures/make-smollm2-fixture.mjs}).
 */
class HfBpeTokenizerSmolLm2Test {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void reproducesEveryFixtureCase() throws IOException {
        Tokenizer tokenizer = HfBpeTokenizer.load(smollm2());
        assertReproduces(tokenizer, fixture().path("cases"));
    }

    @Test
    void preTokenizerCutsTheSamePiecesAsTheReference() throws IOException {
        JsonNode root = JSON.readTree(smollm2().toFile());
        assertSamePieces(HfPreTokenizer.fromJson(root.get("pre_tokenizer"), "SmolLM2"), fixture().path("cases"));
        JsonNode variant = fixture().path("llama3StyleVariant");
        assertSamePieces(HfPreTokenizer.fromJson(variant.path("overrides").get("pre_tokenizer"), "Llama 3 style"),
                variant.path("cases"));
    }

    @Test
    void reproducesTheLlama3StyleSplitVariant() throws IOException {
        JsonNode variant = fixture().path("llama3StyleVariant");
        ObjectNode root = (ObjectNode) JSON.readTree(smollm2().toFile());
        JsonNode overrides = variant.path("overrides");
        root.set("pre_tokenizer", overrides.get("pre_tokenizer"));
        ((ObjectNode) root.get("model")).setAll((ObjectNode) overrides.get("model"));
        Tokenizer tokenizer = HfBpeTokenizer.fromJson(root, null, "SmolLM2 with a Llama 3 pre-tokenizer");
        assertReproduces(tokenizer, variant.path("cases"));
    }

    @Test
    void streamsEmojiWholeAndKnowsItsSize() throws IOException {
        Tokenizer tokenizer = HfBpeTokenizer.load(smollm2());
        assertEquals(49152, tokenizer.vocabSize());
        String text = "🚀 日本";
        StreamingDecoder decoder = tokenizer.newStreamingDecoder();
        List<String> pieces = new ArrayList<>();
        for (int id : tokenizer.encode(text, true)) {
            pieces.add(decoder.next(id));
        }
        pieces.add(decoder.finish());
        assertEquals(text, String.join("", pieces));
        assertTrue(pieces.stream().noneMatch(p -> p.contains("\uFFFD")), pieces.toString());
        assertTrue(pieces.contains("🚀"), "the emoji's byte tokens come out as one character: " + pieces);
    }

    @Test
    void takesBosAndEosFromTokenizerConfigBesideTheFile() throws IOException {
        assertEquals(OptionalInt.empty(), HfBpeTokenizer.load(smollm2()).bosId(), "tokenizer.json alone names no BOS");
        Path copy = dir.resolve("tokenizer.json");
        Files.copy(smollm2(), copy);
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": \"<|im_start|>\", \"eos_token\": {\"content\": \"<|im_end|>\"}}");
        Tokenizer tokenizer = HfBpeTokenizer.load(copy);
        assertEquals(OptionalInt.of(1), tokenizer.bosId());
        assertEquals(OptionalInt.of(2), tokenizer.eosId());
    }

    private static void assertReproduces(Tokenizer tokenizer, JsonNode cases) {
        assertTrue(cases.size() >= 30, "the fixture has " + cases.size() + " cases");
        List<String> failures = new ArrayList<>();
        for (JsonNode entry : cases) {
            String text = entry.path("text").asText();
            int[] expected = ids(entry.path("ids"));
            int[] actual = tokenizer.encode(text, false);
            if (!Arrays.equals(expected, actual)) {
                failures.add("encode " + JSON.valueToTree(text) + ": expected " + Arrays.toString(expected) + " got " + Arrays.toString(actual));
            }
            String decoded = tokenizer.decode(expected);
            if (!decoded.equals(entry.path("decoded").asText())) {
                failures.add("decode of " + JSON.valueToTree(text) + " gave " + JSON.valueToTree(decoded));
            }
            if (!tokenizer.decode(actual).equals(text)) {
                failures.add("round trip of " + JSON.valueToTree(text) + " gave " + JSON.valueToTree(tokenizer.decode(actual)));
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    private static void assertSamePieces(HfPreTokenizer preTokenizer, JsonNode cases) {
        List<String> failures = new ArrayList<>();
        for (JsonNode entry : cases) {
            String text = entry.path("text").asText();
            List<String> expected = new ArrayList<>();
            entry.path("pieces").forEach(piece -> expected.add(piece.asText()));
            List<String> actual = preTokenizer.split(new TextPiece(text, true)).stream().map(TextPiece::text).toList();
            if (!expected.equals(actual)) {
                failures.add(JSON.valueToTree(text) + ": expected " + JSON.valueToTree(expected) + " got " + JSON.valueToTree(actual));
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    private static int[] ids(JsonNode array) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = array.get(i).asInt();
        }
        return ids;
    }

    private static Path smollm2() {
        return SharedFiles.require("tokenizers/smollm2/tokenizer.json");
    }

    private static JsonNode fixture() throws IOException {
        try (InputStream in = HfBpeTokenizerSmolLm2Test.class.getResourceAsStream("smollm2-fixture.json")) {
            assertTrue(in != null, "smollm2-fixture.json is on the test class path");
            return JSON.readTree(in);
        }
    }
}
