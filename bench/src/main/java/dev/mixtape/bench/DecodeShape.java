package dev.mixtape.bench;

import dev.mixtape.models.llama.LlamaConfig;

import java.util.List;

/**
 * A model shape the decoding benchmarks run: llama2.c's tinyllamas stories15M and stories110M, with
 * random weights.
 *
 * @param key         the short name, also the checkpoint's file name
 * @param description the shape in words, for the table
 * @param config      the Llama's shape
 */
record DecodeShape(String key, String description, LlamaConfig config) {

    /** stories15M and stories110M. */
    static final List<DecodeShape> ALL = List.of(
            new DecodeShape("stories15M", "stories15M (288, 6 layers, vocab 32000)",
                    new LlamaConfig(288, 768, 6, 6, 6, 48, 32000, 1024, 1e-5, 10000, null, true, 1, 2)),
            new DecodeShape("stories110M", "stories110M (768, 12 layers, vocab 32000)",
                    new LlamaConfig(768, 2048, 12, 12, 12, 64, 32000, 1024, 1e-5, 10000, null, true, 1, 2)));

    /** The shape whose {@link #key()} is {@code key}. */
    static DecodeShape named(String key) {
        return ALL.stream().filter(shape -> shape.key().equals(key)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "--shape: unknown shape '" + key + "' (expected one of " + ALL.stream().map(DecodeShape::key).toList() + ")"));
    }

    /** The vocabulary size every shape shares, which one tokenizer file serves. */
    static final int VOCAB_SIZE = 32000;
}
