package dev.mixtape.models.cli;

import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.engine.Backends;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.tokenizer.Tokenizers;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** The options every model-using command shares: where the model, its tokenizer and an adapter are, which backend. */
final class ModelOptions {
    private static final String ADAPTER_NAME = "default";

    @Option(names = "--model", required = true, description = "An HF folder, a .gguf file or a llama2.c .bin.")
    Path model;

    @Option(names = "--tokenizer", description = "Overrides the model's own tokenizer (tokenizer.json, tokenizer .bin or .gguf).")
    Path tokenizer;

    @Option(names = "--adapter", description = "A LoRA/MoSLoRA adapter folder in PEFT's format to apply to the model.")
    Path adapter;

    @Option(names = "--backend", defaultValue = "vector", description = "vector (default) or nd4j.")
    String backend;

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    /**
     * The model, with the {@code --adapter} if one is given: merged into the weights when
     * {@code mergeAdapter} (generation: no extra cost per token), else run beside them as in training
     * (evaluation: the very figures fine-tuning reported).
     */
    Llama loadModel(boolean mergeAdapter) throws IOException {
        Llama llama = loadModel(model, backend);
        if (adapter != null) {
            String name = PeftFiles.load(adapter, llama, ADAPTER_NAME).name();
            if (mergeAdapter) {
                Adapters.mergeAndUnload(llama, name);
            }
        }
        return llama;
    }

    Tokenizer loadTokenizer() throws IOException {
        return loadTokenizer(model, tokenizer);
    }

    /** The model at {@code model} on the backend called {@code backend}. */
    static Llama loadModel(Path model, String backend) throws IOException {
        return Llama.load(model, Backends.create(backend));
    }

    /** The tokenizer in {@code tokenizer}, or the model's own when that is null. */
    static Tokenizer loadTokenizer(Path model, Path tokenizer) throws IOException {
        return tokenizer != null ? Tokenizers.load(tokenizer) : Tokenizers.forModel(model);
    }
}
