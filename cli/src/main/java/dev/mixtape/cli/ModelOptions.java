package dev.mixtape.cli;

import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.adapters.mole.GateUsage;
import dev.mixtape.adapters.mole.Mole;
import dev.mixtape.adapters.mole.MoleFiles;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.DType;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.llama.LlamaConfig;
import dev.mixtape.models.llama.NonFiniteWeights;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.tokenizer.Tokenizers;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** The options every model-using command shares: the model, its tokenizer, an adapter or a MoLE on it, the backend. */
final class ModelOptions {
    private static final String ADAPTER_NAME = "default";

    private Mole loadedMole;

    @Mixin
    ModelOption model;

    @Mixin
    TokenizerOption tokenizer;

    @Option(names = "--adapter", description = "A LoRA/MoSLoRA adapter folder in PEFT's format to apply to the model.")
    Path adapter;

    @Option(names = "--mole", description = "A MoLE folder (from compose) to apply to the model: its experts with their gates.")
    Path mole;

    @Option(names = "--mask", split = ",", description = "With --mole: experts to leave out (names or 0-based indices), the others' weights renormalised.")
    List<String> mask;

    @Option(names = "--explain", description = "With --mole: print each gate's mean weight per expert to stderr at the end.")
    boolean explain;

    @Mixin
    BackendOption backend;

    @Mixin
    WeightsOption weights;

    /**
     * The model, with the {@code --adapter} if one is given: merged into the weights when
     * {@code mergeAdapter} (generation: no extra cost per token), else run beside them as in training
     * (evaluation: the very figures fine-tuning reported).
     */
    Llama loadModel(boolean mergeAdapter) throws IOException {
        if (adapter != null && mole != null) {
            throw new IllegalArgumentException("give --adapter or --mole, not both");
        }
        if (mole == null && (mask != null || explain)) {
            throw new IllegalArgumentException((mask != null ? "--mask" : "--explain") + " needs --mole");
        }
        boolean mergedFirst = adapter != null && mergeAdapter;
        Llama llama = loadModel(model.path(), backend.name, mergedFirst ? DType.F32 : weights.dtype(), weights.nonFinite());
        if (mole != null) {
            loadedMole = MoleFiles.load(mole, llama);
            if (mask != null) {
                loadedMole.mask(expertNames(loadedMole, mask));
            }
        }
        if (adapter != null) {
            String name = PeftFiles.load(adapter, llama, ADAPTER_NAME).name();
            if (mergeAdapter) {
                Adapters.mergeAndUnload(llama, name);
            }
        }
        if (mergedFirst && weights.dtype() != Llama.AS_STORED) {
            llama.keepWeightsIn(weights.dtype());
        }
        return llama;
    }

    /** With {@code --explain}, each gate's mean weight per expert over the passes since loading, on stderr. */
    void explainGates() {
        if (!explain) {
            return;
        }
        for (GateUsage usage : loadedMole.explanation()) {
            StringBuilder line = new StringBuilder("explain: gate '" + usage.gate() + "' (" + usage.rows() + " rows):");
            usage.meanWeights().forEach((expert, weight) -> line.append(String.format(Locale.ROOT, " %s %.3f", expert, weight)));
            System.err.println(line);
        }
    }

    private static List<String> expertNames(Mole mole, List<String> given) {
        List<String> names = new ArrayList<>();
        for (String entry : given) {
            if (entry.matches("\\d+")) {
                int index = Integer.parseInt(entry);
                if (index >= mole.experts().size()) {
                    throw new IllegalArgumentException("--mask " + index + ": the MoLE has " + mole.experts().size() + " experts, "
                            + mole.experts() + ", numbered from 0");
                }
                names.add(mole.experts().get(index));
            } else {
                names.add(entry);
            }
        }
        return names;
    }

    /** A model and its tokenizer, as {@link #loadModelAndTokenizer} loads them. */
    record Loaded(Llama llama, Tokenizer tokenizer) {
    }

    /**
     * The model ({@link #loadModel}) and its tokenizer ({@code --tokenizer}, or the model's own), the
     * tokenizer read on a thread of its own while the weights load: a cold start's two reads overlap
     * instead of following each other. When both fail, the model's error is the one reported, as when
     * they were read in turn.
     */
    Loaded loadModelAndTokenizer(boolean mergeAdapter) throws IOException {
        Path modelPath = model.path();
        Path given = tokenizer.given;
        CompletableFuture<Tokenizer> reading = CompletableFuture.supplyAsync(() -> {
            try {
                return given != null ? Tokenizers.load(given) : Tokenizers.forModel(modelPath);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, ModelOptions::startReader);
        Llama llama = loadModel(mergeAdapter);
        Tokenizer loaded;
        try {
            loaded = reading.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof UncheckedIOException io) {
                throw io.getCause();
            }
            throw e.getCause() instanceof RuntimeException runtime ? runtime : e;
        }
        return new Loaded(llama, requireVocabulary(loaded, modelPath, given, llama.config()));
    }

    private static void startReader(Runnable read) {
        Thread reader = new Thread(read, "mixtape-tokenizer");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * The model at {@code model} on the backend called {@code backend}, its weight matrices in
     * {@code weights} ({@link Llama#AS_STORED}: as the file stores them), weights holding NaN or ±Inf
     * handled as {@code nonFinite} says.
     */
    static Llama loadModel(Path model, String backend, DType weights, NonFiniteWeights nonFinite) throws IOException {
        return Llama.load(model, Backends.create(backend), weights, nonFinite);
    }

    /**
     * The tokenizer in {@code tokenizer}, or the model's own when that is null; refused when it has
     * fewer tokens than the model's vocabulary, whose ids it could not decode.
     */
    static Tokenizer loadTokenizer(Path model, Path tokenizer, LlamaConfig config) throws IOException {
        return requireVocabulary(tokenizer != null ? Tokenizers.load(tokenizer) : Tokenizers.forModel(model), model, tokenizer, config);
    }

    private static Tokenizer requireVocabulary(Tokenizer loaded, Path model, Path tokenizer, LlamaConfig config) {
        if (loaded.vocabSize() < config.vocabSize()) {
            throw new IllegalArgumentException((tokenizer != null ? tokenizer : model) + ": the tokenizer has " + loaded.vocabSize()
                    + " tokens, fewer than the model's vocabulary of " + config.vocabSize() + " (not this model's tokenizer)");
        }
        return loaded;
    }
}
