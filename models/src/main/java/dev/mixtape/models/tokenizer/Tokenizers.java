package dev.mixtape.models.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/** Loads a tokenizer, choosing the reader by file: tokenizer.json, llama2.c .bin, or GGUF. */
public final class Tokenizers {
    private Tokenizers() {
    }

    /**
     * Loads the tokenizer in {@code path}:
     * <ul>
     * <li>a {@code .json} file (Hugging Face {@code tokenizer.json}), or a folder holding one;</li>
     * <li>a {@code .bin} file (llama2.c {@code tokenizer.bin});</li>
     * <li>a {@code .gguf} file (its embedded SentencePiece vocabulary).</li>
     * </ul>
     *
     * @throws IllegalArgumentException for any other kind of file, naming it
     */
    public static Tokenizer load(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            Path json = path.resolve("tokenizer.json");
            if (!Files.exists(json)) {
                throw new NoSuchFileException(json.toString(), null, "the folder " + path + " has no tokenizer.json");
            }
            return HfBpeTokenizer.load(json);
        }
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "no tokenizer file there");
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".json")) {
            return HfBpeTokenizer.load(path);
        }
        if (name.endsWith(".bin")) {
            return Llama2cTokenizer.load(path);
        }
        if (name.endsWith(".gguf")) {
            return SentencePieceTokenizer.load(path);
        }
        throw new IllegalArgumentException("cannot tell what tokenizer " + path + " holds: Mixtape reads tokenizer.json,"
                + " llama2.c tokenizer .bin and .gguf files");
    }
}
