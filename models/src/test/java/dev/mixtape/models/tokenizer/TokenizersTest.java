package dev.mixtape.models.tokenizer;

import dev.mixtape.engine.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Tokenizers#load} picks the reader by file. */
class TokenizersTest {
    @TempDir
    Path dir;

    @Test
    void choosesTheReaderByFile() throws IOException {
        assertInstanceOf(Llama2cTokenizer.class, Tokenizers.load(SharedFiles.require("models/stories260K/tok512.bin")));
        assertInstanceOf(SentencePieceTokenizer.class,
                Tokenizers.load(SharedFiles.require("tokenizers/llama-spm/ggml-vocab-llama-spm.gguf")));
        Path json = SharedFiles.require("tokenizers/smollm2/tokenizer.json");
        assertInstanceOf(HfBpeTokenizer.class, Tokenizers.load(json));
        Tokenizer fromFolder = Tokenizers.load(json.getParent());
        assertInstanceOf(HfBpeTokenizer.class, fromFolder);
        assertEquals(49152, fromFolder.vocabSize());
    }

    @Test
    void refusesOtherFilesByName() throws IOException {
        Path text = Files.writeString(dir.resolve("vocab.txt"), "hello");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tokenizers.load(text));
        assertTrue(e.getMessage().contains(text.toString()), e.getMessage());
        assertThrows(NoSuchFileException.class, () -> Tokenizers.load(dir.resolve("missing.gguf")));
        NoSuchFileException folder = assertThrows(NoSuchFileException.class, () -> Tokenizers.load(dir));
        assertTrue(folder.getMessage().contains("tokenizer.json"), folder.getMessage());
    }
}
