package dev.mixtape.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --tokenizer}: a tokenizer file that replaces the model's own. */
final class TokenizerOption {
    @Option(names = "--tokenizer", paramLabel = "FILE", description = "Overrides the model's own tokenizer: tokenizer.json, a llama2.c tokenizer .bin or a .gguf.")
    Path given;
}
