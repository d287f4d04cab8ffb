package dev.mixtape.cli;

import dev.mixtape.testdata.Bundled;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --model}, the same in every command: an HF folder, a .gguf or a llama2.c .bin; by default the bundled tiny Llama. */
final class ModelOption {
    @Option(names = "--model", paramLabel = "PATH", description = "An HF folder, a .gguf file or a llama2.c .bin (default: the bundled tiny Llama).")
    Path given;

    /** The model to load: the one given, or the bundled tiny Llama. */
    Path path() {
        return given != null ? given : Bundled.tinyLlama();
    }
}
