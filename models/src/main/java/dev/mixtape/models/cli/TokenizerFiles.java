package dev.mixtape.models.cli;

import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.tokenizer.Tokenizers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Finds the tokenizer that belongs to a model: {@code tokenizer.json} in an HF folder, the vocabulary
 * embedded in a GGUF file, and for a llama2.c {@code .bin} a {@code tokenizer.bin} beside it (or the
 * only {@code tok*.bin} there, as tinyllamas ships {@code tok512.bin}).
 */
final class TokenizerFiles {
    private TokenizerFiles() {
    }

    static Tokenizer load(Path file) throws IOException {
        return Tokenizers.load(file);
    }

    static Tokenizer forModel(Path model) throws IOException {
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
