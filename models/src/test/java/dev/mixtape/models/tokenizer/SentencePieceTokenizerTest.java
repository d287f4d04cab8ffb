package dev.mixtape.models.tokenizer;

import dev.mixtape.engine.SharedFiles;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SentencePiece vocabulary embedded in GGUF, checked against llama.cpp's 46 test vectors. */
class SentencePieceTokenizerTest {
    private static final String DIR = "tokenizers/llama-spm/";

    @Test
    void encodesAllLlamaCppTestVectors() throws IOException {
        Tokenizer tokenizer = SentencePieceTokenizer.load(SharedFiles.require(DIR + "ggml-vocab-llama-spm.gguf"));
        LlamaSpmVectors vectors = vectors();
        assertEquals(46, vectors.texts().size());
        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i < vectors.texts().size(); i++) {
            int[] actual = tokenizer.encode(vectors.texts().get(i), false);
            if (!Arrays.equals(vectors.ids().get(i), actual)) {
                mismatches.add("#" + i + " " + vectors.texts().get(i).replace("\n", "\\n") + ": expected "
                        + Arrays.toString(vectors.ids().get(i)) + " but got " + Arrays.toString(actual));
            }
        }
        assertTrue(mismatches.isEmpty(), String.join("\n", mismatches));
    }

    @Test
    void decodesEveryTestVectorBackToItsText() throws IOException {
        Tokenizer tokenizer = SentencePieceTokenizer.load(SharedFiles.require(DIR + "ggml-vocab-llama-spm.gguf"));
        LlamaSpmVectors vectors = vectors();
        for (int i = 0; i < vectors.texts().size(); i++) {
            String text = vectors.texts().get(i);
            assertEquals(text, tokenizer.decode(vectors.ids().get(i)), "vector #" + i);
            assertEquals(text, tokenizer.decode(tokenizer.encode(text, true)), "vector #" + i + " with BOS");
        }
    }

    @Test
    void addsBosFromTheGgufFlagsAndKnowsTheSpecialIds() throws IOException {
        Tokenizer tokenizer = SentencePieceTokenizer.load(SharedFiles.require(DIR + "ggml-vocab-llama-spm.gguf"));
        assertArrayEquals(new int[] {1, 15043, 3186}, tokenizer.encode("Hello world", true));
        assertArrayEquals(new int[] {1}, tokenizer.encode("", true));
        assertArrayEquals(new int[0], tokenizer.encode("", false));
        assertEquals(OptionalInt.of(1), tokenizer.bosId());
        assertEquals(OptionalInt.of(2), tokenizer.eosId());
        assertEquals(32000, tokenizer.vocabSize());
        assertEquals("Hello world", tokenizer.decode(new int[] {1, 15043, 3186, 2}));
        assertEquals(" ⁇ ", tokenizer.decode(new int[] {0}));
    }

    @Test
    void streamsMultiByteCharactersOnlyWhenComplete() throws IOException {
        Tokenizer tokenizer = SentencePieceTokenizer.load(SharedFiles.require(DIR + "ggml-vocab-llama-spm.gguf"));
        int[] ids = tokenizer.encode("a 🦙!", false);
        StreamingDecoder decoder = tokenizer.newStreamingDecoder();
        List<String> pieces = new ArrayList<>();
        for (int id : ids) {
            pieces.add(decoder.next(id));
        }
        assertEquals("", decoder.finish());
        assertEquals("a 🦙!", String.join("", pieces));
        assertTrue(pieces.contains("🦙"), "the four byte tokens of the emoji come out as one character: " + pieces);
        assertTrue(pieces.stream().noneMatch(p -> p.contains("\uFFFD")), pieces.toString());
    }

    private static LlamaSpmVectors vectors() throws IOException {
        Path inp = SharedFiles.require(DIR + "ggml-vocab-llama-spm.gguf.inp");
        Path out = SharedFiles.require(DIR + "ggml-vocab-llama-spm.gguf.out");
        return LlamaSpmVectors.read(inp, out);
    }
}
