package dev.mixtape.models.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Loads a tokenizer, choosing the reader by file: tokenizer.json, llama2.c .bin, or GGUF; or finds
 * the one that belongs to a model.
 */
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

    /**
     * The tokenizer that belongs to the model at {@code model}: {@code tokenizer.json} in an HF folder,
     * the vocabulary embedded in a GGUF file, and for a llama2.c {@code .bin} a {@code tokenizer.bin}
     * beside it (or the only {@code tok*.bin} there, as tinyllamas ships {@code tok512.bin}).
     */
    public static Tokenizer forModel(Path model) throws IOException {
        if (Files.isDirectory(model)) {
            Path json = model.resolve("tokenizer.json");
            if (Files.isRegularFile(json)) {
                return load(json);
            }
            throw new IOException(model + ": no tokenizer.json in the model folder; pass --tokenizer");
        }
        String name = model.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".gguf")) {
            return load(model);
        }
        Path folder = model.toAbsolutePath().getParent();
        Path standard = folder.resolve("tokenizer.bin");
        if (Files.isRegularFile(standard)) {
            return load(standard);
        }
        try (Stream<Path> files = Files.list(folder)) {
            List<Path> candidates = files.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith("tok") && n.endsWith(".bin");
            }).toList();
            if (candidates.size() == 1) {
                return load(candidates.getFirst());
            }
        }
        throw new IOException(model + ": no tokenizer.bin beside the model; pass --tokenizer");
    }
}
