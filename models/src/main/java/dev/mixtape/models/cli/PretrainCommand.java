package dev.mixtape.models.cli;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Backends;
import dev.mixtape.models.llama.HfWriter;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.llama.LlamaConfig;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.tokenizer.Tokenizers;
import dev.mixtape.models.train.Dataset;
import dev.mixtape.models.train.InitialWeights;
import dev.mixtape.models.train.SpecialIds;
import dev.mixtape.models.train.Trainer;
import dev.mixtape.models.train.TrainingConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code mixtape pretrain}: trains a new Llama from scratch and writes it as a Hugging Face folder
 * ({@code config.json}, {@code model.safetensors}, the tokenizer), with the run's checkpoint, metrics
 * and loss plot in its {@code training/} subfolder.
 */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Train a small Llama from scratch; write it as a Hugging Face folder.")
final class PretrainCommand implements Callable<Integer> {
    private static final TrainingOptions.Defaults DEFAULTS = new TrainingOptions.Defaults(100, 1e-3, 0);

    @Option(names = "--data", required = true, description = "Training data: .jsonl (text, prompt/completion, instruction) or plain text.")
    Path data;

    @Option(names = "--eval-data", description = "Held-out data for evaluation.")
    Path evalData;

    @Option(names = "--tokenizer", required = true, description = "The tokenizer.json the model is for; its vocabulary sets the model's.")
    Path tokenizer;

    @Option(names = "--out", required = true, description = "The model folder to write; the run's files go to OUT/training.")
    Path out;

    @Option(names = "--dim", defaultValue = "128", description = "Hidden size (default: ${DEFAULT-VALUE}).")
    int dim;

    @Option(names = "--hidden-dim", description = "MLP size (default: 8/3 of --dim, rounded up to a multiple of 32).")
    Integer hiddenDim;

    @Option(names = "--layers", defaultValue = "4", description = "Decoder layers (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--heads", defaultValue = "4", description = "Attention heads (default: ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--kv-heads", description = "Key/value heads (default: --heads).")
    Integer kvHeads;

    @Option(names = "--seq-len", defaultValue = "64", description = "Tokens per sequence, and the model's positions (default: ${DEFAULT-VALUE}).")
    int seqLen;

    @Option(names = "--init-std", defaultValue = "0.02", description = "Standard deviation of the initial weights (default: ${DEFAULT-VALUE}).")
    double initStd;

    @Option(names = "--resume", description = "Continue the run whose checkpoint is in OUT/training.")
    boolean resume;

    @Option(names = "--backend", defaultValue = "vector", description = "vector (default) or nd4j.")
    String backend;

    @Mixin
    TrainingOptions training;

    @Override
    public Integer call() throws Exception {
        Tokenizer loaded = Tokenizers.load(tokenizer);
        int bos = loaded.bosId().orElseThrow(() -> new IllegalArgumentException(tokenizer + " names no beginning-of-sequence token"));
        int eos = loaded.eosId().orElseThrow(() -> new IllegalArgumentException(tokenizer + " names no end-of-sequence token"));
        int mlp = hiddenDim != null ? hiddenDim : (8 * dim / 3 + 31) / 32 * 32;
        if (heads < 1 || dim % heads != 0) {
            throw new IllegalArgumentException("--dim " + dim + " is not a multiple of --heads " + heads);
        }
        LlamaConfig shape = new LlamaConfig(dim, mlp, layers, heads, kvHeads != null ? kvHeads : heads, dim / heads,
                loaded.vocabSize(), seqLen, 1e-5, 10000, null, true, bos, eos);
        Backend chosen = Backends.create(backend);
        Llama model = Llama.random(shape, chosen, training.seed);
        InitialWeights.normal(model, initStd, training.seed);

        SpecialIds special = new SpecialIds(bos, eos);
        Dataset train = Dataset.load(data, loaded, special, seqLen);
        Dataset eval = evalData == null ? null : Dataset.load(evalData, loaded, special, seqLen);
        TrainingConfig config = training.toConfig(train.sequences().size(), DEFAULTS);
        System.err.printf("pretrain: %,d parameters, %d training sequences (%,d tokens)%n", shape.parameterCount(),
                train.sequences().size(), train.predictedTokens());
        try (ProgressReporter progress = new ProgressReporter("pretrain", System.err)) {
            Trainer trainer = new Trainer(model, loaded, train, eval, config, out.resolve("training"), progress);
            if (resume) {
                trainer.resume();
            } else {
                trainer.train();
            }
        }
        HfWriter.write(model, tokenizer, out);
        System.out.println(out);
        return 0;
    }
}
