package dev.mixtape.cli;

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
import dev.mixtape.models.train.StopRequest;
import dev.mixtape.models.train.TrainingJob;
import dev.mixtape.models.train.TrainingConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code mixtape pretrain}: trains a new Llama from scratch and writes it as a Hugging Face folder
 * ({@code config.json}, {@code model.safetensors}, the tokenizer), with the run's checkpoint, metrics
 * and loss plot in its {@code training/} subfolder. The model files are written when the run
 * completes (after its last checkpoint); a resumed finished run writes them again.
 */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Train a small Llama from scratch; write it as a Hugging Face folder.")
final class PretrainCommand implements Callable<Integer> {
    /** The subfolder of the model folder that holds the run's checkpoint, metrics and plot. */
    static final String TRAINING_FOLDER = "training";
    private static final TrainingOptions.Defaults DEFAULTS = new TrainingOptions.Defaults(100, 1e-3, 0);

    @Option(names = "--data", required = true, description = "Training data: .jsonl (text, prompt/completion, instruction) or plain text.")
    Path data;

    @Option(names = "--eval-data", description = "Held-out data for evaluation.")
    Path evalData;

    @Option(names = "--tokenizer", required = true, description = "The tokenizer.json the model is for; its vocabulary sets the model's.")
    Path tokenizer;


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

    @Mixin
    RunFolderOptions run;

    @Mixin
    BackendOption backend;

    @Mixin
    TrainingOptions training;

    @Override
    public Integer call() throws Exception {
        Path out = run.folder(Path.of("runs", "pretrain-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))));
        OutputFolder folder = OutputFolder.check(out, run.resume, run.overwrite, List.of(new OutputFolder.Input("--data", data),
                new OutputFolder.Input("--eval-data", evalData), new OutputFolder.Input("--tokenizer", tokenizer)));
        Tokenizer loaded = Tokenizers.load(tokenizer);
        int bos = loaded.bosId().orElseThrow(() -> new IllegalArgumentException(tokenizer + " names no beginning-of-sequence token"));
        int eos = loaded.eosId().orElseThrow(() -> new IllegalArgumentException(tokenizer + " names no end-of-sequence token"));
        int mlp = hiddenDim != null ? hiddenDim : (8 * dim / 3 + 31) / 32 * 32;
        if (heads < 1 || dim % heads != 0) {
            throw new IllegalArgumentException("--dim " + dim + " is not a multiple of --heads " + heads);
        }
        LlamaConfig shape = new LlamaConfig(dim, mlp, layers, heads, kvHeads != null ? kvHeads : heads, dim / heads,
                loaded.vocabSize(), seqLen, 1e-5, 10000, null, true, bos, eos);
        Backend chosen = Backends.create(backend.name);
        Llama model = Llama.random(shape, chosen, training.seed);
        InitialWeights.normal(model, initStd, training.seed);

        SpecialIds special = new SpecialIds(bos, eos);
        Dataset train = Dataset.load(data, loaded, special, seqLen);
        Dataset eval = evalData == null ? null : Dataset.load(evalData, loaded, special, seqLen);
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("--data", TrainingOptions.describe(data));
        settings.put("--eval-data", TrainingOptions.describe(evalData));
        settings.put("--tokenizer", TrainingOptions.describe(tokenizer));
        settings.put("--dim", Integer.toString(dim));
        settings.put("--hidden-dim", Integer.toString(mlp));
        settings.put("--layers", Integer.toString(layers));
        settings.put("--heads", Integer.toString(heads));
        settings.put("--kv-heads", Integer.toString(shape.kvHeads()));
        settings.put("--seq-len", Integer.toString(seqLen));
        settings.put("--init-std", Double.toString(initStd));
        settings.put("--backend", backend.name);
        TrainingConfig config = training.toConfig(train.sequences().size(), DEFAULTS, settings);
        System.err.printf("pretrain: %,d parameters, %d training sequences (%,d tokens)%n", shape.parameterCount(),
                train.sequences().size(), train.predictedTokens());
        folder.prepare();
        StopRequest stop = new StopRequest();
        try (ProgressReporter progress = new ProgressReporter("pretrain", System.err); InterruptSignals _ = InterruptSignals.install(stop)) {
            TrainingJob job = TrainingJob.of(model, loaded).data(train, eval).config(config).callback(progress).stopRequest(stop);
            Path runFolder = out.resolve(TRAINING_FOLDER);
            if (!run.resume) {
                job.run(runFolder);
            } else if (job.resume(runFolder).alreadyFinished()) {
                System.err.printf("pretrain: the run in %s is already finished (%d steps); nothing to train%n", out, config.steps());
            }
        }
        LossCurves.write(out.resolve(TRAINING_FOLDER));
        HfWriter.write(model, tokenizer, out);
        System.out.println(out);
        return 0;
    }
}
