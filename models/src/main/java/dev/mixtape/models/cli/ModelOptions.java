package dev.mixtape.models.cli;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Backends;
import dev.mixtape.models.llama.Checkpoint;
import dev.mixtape.models.llama.Checkpoints;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** The options every model-using command shares: where the model and its tokenizer are, which backend. */
final class ModelOptions {
    @Option(names = "--model", required = true, description = "An HF folder, a .gguf file or a llama2.c .bin.")
    Path model;

    @Option(names = "--tokenizer", description = "Overrides the model's own tokenizer (tokenizer.json, tokenizer .bin or .gguf).")
    Path tokenizer;

    @Option(names = "--backend", defaultValue = "vector", description = "vector (default) or nd4j.")
    String backend;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    Llama loadModel() throws IOException {
        Backend chosen = Backends.create(backend);
        try (Checkpoint checkpoint = Checkpoints.open(model)) {
            return Llama.load(checkpoint, chosen);
        }
    }

    Tokenizer loadTokenizer() throws IOException {
        return tokenizer != null ? TokenizerFiles.load(tokenizer) : TokenizerFiles.forModel(model);
    }
}
