package dev.mixtape.spark;

import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.tokenizer.Tokenizers;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;

/**
 * Where an executor loads the run's tokenizer from, to tokenise the records it reads: a tokenizer file,
 * or the model's own ({@link Tokenizers#forModel}). Like the base model's path, it must be readable on
 * every executor.
 *
 * @param path     the tokenizer file, or the model
 * @param forModel whether {@code path} is the model, whose own tokenizer is meant
 */
public record TokenizerSource(String path, boolean forModel) implements Serializable {

    /** The tokenizer in {@code file} ({@link Tokenizers#load}). */
    public static TokenizerSource file(Path file) {
        return new TokenizerSource(file.toAbsolutePath().toString(), false);
    }

    /** The model's own tokenizer ({@link Tokenizers#forModel}). */
    public static TokenizerSource ofModel(Path model) {
        return new TokenizerSource(model.toAbsolutePath().toString(), true);
    }

    /** Loads it. */
    Tokenizer load() throws IOException {
        return forModel ? Tokenizers.forModel(Path.of(path)) : Tokenizers.load(Path.of(path));
    }
}
