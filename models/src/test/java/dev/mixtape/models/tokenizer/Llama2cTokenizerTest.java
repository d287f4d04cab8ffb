package dev.mixtape.models.tokenizer;

import dev.mixtape.engine.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** llama2.c's tok512.bin: run.c's encoding, checked by reasoning over the vocabulary and against a transcription of run.c. */
class Llama2cTokenizerTest {
    private static final List<String> TEXTS = List.of(
            "Once upon a time, there was a little girl named Lily.",
            "the",
            " leading and  double  spaces ",
            "Ünïcödé, 日本語 and 🦙 emoji\n\tnew line",
            "x",
            "\"Lily, let's go to the park.\"");

    @TempDir
    Path dir;

    private static Llama2cTokenizer tok512() throws IOException {
        return Llama2cTokenizer.load(SharedFiles.require("models/stories260K/tok512.bin"));
    }

    @Test
    void readsTheVocabulary() throws IOException {
        Llama2cTokenizer tokenizer = tok512();
        assertEquals(512, tokenizer.vocabSize());
        assertEquals("\n<s>\n", tokenizer.piece(1));
        assertEquals("<0x0A>", tokenizer.piece(13));
        assertEquals(" t", tokenizer.piece(259));
        assertEquals(OptionalInt.of(1), tokenizer.bosId());
        assertEquals(OptionalInt.of(2), tokenizer.eosId());
    }

    @Test
    void mergesTheBestScoringPairsFirst() throws IOException {
        Llama2cTokenizer tokenizer = tok512();
        // " t" (score -0) is the best piece of all, so [" ", t, h, e] first becomes [" t", h, e].
        int spaceT = id(tokenizer, " t");
        int he = id(tokenizer, "he");
        int spaceThe = id(tokenizer, " the");
        float bestMergedScore = Float.NEGATIVE_INFINITY;
        for (int id = 3 + 256; id < tokenizer.vocabSize(); id++) {
            bestMergedScore = Math.max(bestMergedScore, tokenizer.score(id));
        }
        assertEquals(bestMergedScore, tokenizer.score(spaceT), 0f);
        assertTrue(tokenizer.score(he) > tokenizer.score(spaceThe));
        assertTrue(tokenizer.score(he) > tokenizer.score(id(tokenizer, " th")),
                "after ' t', the pair 'h'+'e' outranks ' t'+'h', so ' the' comes from ' t' + 'he'");
        assertArrayEquals(new int[] {1, spaceThe}, tokenizer.encode("the", true));
        assertArrayEquals(new int[] {spaceThe}, tokenizer.encode("the", false));
    }

    @Test
    void fallsBackToByteTokensForUnknownCharacters() throws IOException {
        Llama2cTokenizer tokenizer = tok512();
        assertNull(idOrNull(tokenizer, "日"));
        assertNull(idOrNull(tokenizer, " <0xE6>"));
        assertArrayEquals(new int[] {id(tokenizer, " "), 0xE6 + 3, 0x97 + 3, 0xA5 + 3}, tokenizer.encode("日", false));
        assertArrayEquals(new int[] {1}, tokenizer.encode("", true));
        assertArrayEquals(new int[0], tokenizer.encode("", false));
    }

    @Test
    void agreesWithATranscriptionOfRunC() throws IOException {
        Llama2cTokenizer tokenizer = tok512();
        for (String text : TEXTS) {
            assertArrayEquals(RunCReference.encode(tokenizer, text, true), tokenizer.encode(text, true), text);
        }
        SplittableRandom random = new SplittableRandom(7);
        String alphabet = "aeiou tnshrdl.,!?'\"\nTLOé日🦙 ";
        for (int trial = 0; trial < 200; trial++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(1, 40);
            for (int i = 0; i < length; i++) {
                text.appendCodePoint(alphabet.codePointAt(alphabet.offsetByCodePoints(0, random.nextInt(alphabet.codePointCount(0, alphabet.length())))));
            }
            assertArrayEquals(RunCReference.encode(tokenizer, text.toString(), trial % 2 == 0),
                    tokenizer.encode(text.toString(), trial % 2 == 0), text.toString());
        }
    }

    @Test
    void decodesAsRunCDoes() throws IOException {
        Llama2cTokenizer tokenizer = tok512();
        for (String text : TEXTS) {
            assertEquals(text, tokenizer.decode(tokenizer.encode(text, true)), text);
        }
        String greedy = Files.readString(SharedFiles.require("models/stories260K/reference/greedy-bos-200.txt"));
        assertEquals(greedy, tokenizer.decode(tokenizer.encode(greedy, true)));
        int spaceThe = id(tokenizer, " the");
        assertEquals("the the", tokenizer.decode(new int[] {1, spaceThe, spaceThe}));
        assertEquals(" the", tokenizer.decode(new int[] {spaceThe}));
        assertEquals("\n", tokenizer.decode(new int[] {13}));
    }

    @Test
    void agreesWithTheSameVocabularyInGguf() throws IOException {
        Tokenizer bin = tok512();
        Tokenizer gguf = SentencePieceTokenizer.load(SharedFiles.require("models/stories260K/stories260K.gguf"));
        String greedy = Files.readString(SharedFiles.require("models/stories260K/reference/greedy-bos-200.txt"));
        for (String text : TEXTS) {
            assertArrayEquals(bin.encode(text, true), gguf.encode(text, true), text);
        }
        assertArrayEquals(bin.encode(greedy, true), gguf.encode(greedy, true));
    }

    @Test
    void refusesABrokenFile() throws IOException {
        Path file = dir.resolve("broken.bin");
        ByteBuffer bytes = ByteBuffer.allocate(4 + 8 + 3).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putInt(2).putFloat(0f).putInt(9).put(new byte[3]);
        Files.write(file, bytes.array());
        IOException e = assertThrows(IOException.class, () -> Llama2cTokenizer.load(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("token 0"), e.getMessage());
        assertFalse(e.getMessage().isBlank());
    }

    private static int id(Llama2cTokenizer tokenizer, String piece) {
        Integer id = idOrNull(tokenizer, piece);
        if (id == null) {
            throw new AssertionError("tok512 has no piece '" + piece + "'");
        }
        return id;
    }

    private static Integer idOrNull(Llama2cTokenizer tokenizer, String piece) {
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            if (tokenizer.piece(id).equals(piece)) {
                return id;
            }
        }
        return null;
    }
}
