package dev.mixtape.cli;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.train.Dataset;
import dev.mixtape.models.train.SequenceSource;
import dev.mixtape.models.train.TrainingResult;
import dev.mixtape.models.train.SpecialIds;
import dev.mixtape.models.train.StopRequest;
import dev.mixtape.models.train.TrainingConfig;
import dev.mixtape.models.train.TrainingJob;
import dev.mixtape.testdata.Bundled;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code mixtape finetune}: trains a LoRA or MoSLoRA adapter on a model and writes a run folder with
 * the adapter in PEFT's format, the checkpoint, {@code metrics.jsonl} and {@code curves.png}. With
 * no arguments it fine-tunes the bundled tiny model on the bundled {@value #DEFAULT_TASK} task. The
 * held-out data is evaluated before and after; the last line on stdout is one JSON object:
 * {@code out}, {@code steps}, {@code eval_before}, {@code eval_after}, {@code tokens_per_s},
 * {@code peak_rss_mb}.
 */
@Command(name = "finetune", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fine-tune a LoRA or MoSLoRA adapter. With no arguments: the bundled tiny model on the bundled '"
                + FinetuneCommand.DEFAULT_TASK + "' task.",
                "Stdout's last line: {\"out\", \"steps\", \"eval_before\", \"eval_after\", \"tokens_per_s\", \"peak_rss_mb\"}."})
final class FinetuneCommand implements Callable<Integer> {
    static final String DEFAULT_TASK = "reverse";
    /** Tuned on the bundled tiny model; real models usually want a learning rate of 1e-4 to 1e-3. */
    private static final TrainingOptions.Defaults DEFAULTS = new TrainingOptions.Defaults(600, 5e-3, 20);
    private static final int DEFAULT_SEQ_LEN = 256;
    private static final String ADAPTER_NAME = "default";

    @Mixin
    ModelOption model;

    @Mixin
    TokenizerOption tokenizer;

    @Option(names = "--task", description = "A bundled task to train on: add, reverse or facts (default: " + DEFAULT_TASK + ", when no --data).")
    String task;

    @Option(names = "--data", paramLabel = "PATH", description = "Training data: .jsonl (text, prompt/completion, instruction/input/output) "
            + "or plain text. With --spark, a URI (hdfs://, s3a://, file:///shared/...) is read by Spark's executors and stays there: "
            + "JSON Lines, held-out data only from --eval-data.")
    String data;

    @Option(names = "--eval-data", description = "Held-out data (default: the task's eval split; with --data, a held-out tenth of it).")
    Path evalData;

    @Option(names = "--seq-len", description = "Tokens per sequence; longer texts are packed, longer records cut (default: "
            + DEFAULT_SEQ_LEN + " or the model's positions, if fewer).")
    Integer seqLen;

    @Option(names = "--init-adapter", description = "Start from this PEFT adapter folder instead of a new adapter (the adapter options are then ignored).")
    Path initAdapter;

    @Option(names = "--checkpoint-layers", description = "Activation checkpointing: keep each decoder layer's input only and compute the layer "
            + "again in the backward pass. The same gradients, bit for bit, in less memory (a SmolLM2-135M-shape step of 4x256 tokens: "
            + "about 1 GB less peak RSS) for about a third more CPU time per step.")
    boolean checkpointLayers;

    @Mixin
    RunFolderOptions run;

    @Mixin
    WeightsOption weights;

    @Mixin
    BackendOption backend;

    @Mixin
    AdapterOptions adapterOptions;

    @Mixin
    TrainingOptions training;

    @Mixin
    SparkOption spark;

    @Override
    public Integer call() throws Exception {
        if (data != null && task != null) {
            throw new IllegalArgumentException("give --task or --data, not both");
        }
        if (checkpointLayers && spark.master != null) {
            throw new IllegalArgumentException("--checkpoint-layers does not reach Spark's executors yet: drop it or --spark");
        }
        spark.requireSpark();
        boolean dataOnExecutors = spark.readsOnExecutors(data);
        String taskName = data == null ? (task != null ? task : DEFAULT_TASK) : null;
        Path trainFile = taskName != null ? Bundled.task(taskName).train() : dataOnExecutors ? null : Path.of(data);
        String dataName = trainFile != null ? trainFile.toString() : data;
        Path evalFile = evalData != null ? evalData : taskName != null ? Bundled.task(taskName).eval() : null;
        Path modelPath = model.path();
        String kind = initAdapter != null ? "continued" : adapterOptions.kind.toLowerCase(Locale.ROOT);
        Path runFolder = run.folder(Path.of("runs", (taskName != null ? taskName : baseName(dataName)) + "-" + kind + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))));
        OutputFolder folder = OutputFolder.check(runFolder, run.resume, run.overwrite, List.of(new OutputFolder.Input("--model", modelPath),
                new OutputFolder.Input("--tokenizer", tokenizer.given), new OutputFolder.Input("--data", trainFile),
                new OutputFolder.Input("--eval-data", evalFile), new OutputFolder.Input("--init-adapter", initAdapter)));
        Llama llama = ModelOptions.loadModel(modelPath, backend.name, weights.dtype(), weights.nonFinite()).checkpointLayers(checkpointLayers);
        Tokenizer loaded = ModelOptions.loadTokenizer(modelPath, tokenizer.given, llama.config());
        int length = TrainingData.seqLen(seqLen, DEFAULT_SEQ_LEN, llama.config().maxPositions());
        SpecialIds special = SpecialIds.of(loaded, llama.config());
        try (SparkOption.Compute compute = spark.open("finetune", modelPath, backend.name, weights.dtype(), weights.nonFinite())) {
            SequenceSource train;
            Dataset eval;
            if (dataOnExecutors) {
                train = compute.readData(data, tokenizer.given, modelPath, special, length);
                eval = evalFile == null ? null : Dataset.load(evalFile, loaded, special, length);
            } else {
                TrainingData loadedData = TrainingData.load(trainFile, evalFile, loaded, special, length, training.seed);
                loadedData.reportLengths("finetune");
                train = loadedData.train();
                eval = loadedData.eval();
            }
            return train(compute, llama, loaded, modelPath, dataName, evalFile, length, train, eval, runFolder, folder);
        }
    }

    /** Sets the run up on the loaded model and data, and runs it. */
    private int train(SparkOption.Compute compute, Llama llama, Tokenizer loaded, Path modelPath, String dataName, Path evalFile, int length,
                      SequenceSource train, Dataset eval, Path runFolder, OutputFolder folder) throws Exception {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("--model", TrainingOptions.describe(modelPath));
        settings.put("--tokenizer", TrainingOptions.describe(tokenizer.given));
        settings.put("--data", spark.readsOnExecutors(dataName) ? dataName : TrainingOptions.describe(Path.of(dataName)));
        settings.put("--eval-data", TrainingOptions.describe(evalFile));
        settings.put("--seq-len", Integer.toString(length));
        settings.put("--init-adapter", TrainingOptions.describe(initAdapter));
        settings.put("--weights", WeightsOption.recorded(llama));
        settings.put("--backend", backend.name);
        settings.putAll(adapterOptions.settings());
        settings.putAll(spark.settings());
        TrainingConfig config = training.toConfig(train.size(), DEFAULTS, settings);

        Adapter adapter = initAdapter != null
                ? PeftFiles.load(initAdapter, llama, ADAPTER_NAME)
                : Adapters.inject(llama, adapterOptions.toConfig(modelPath.toString()), ADAPTER_NAME, new Rng(training.seed));
        System.err.printf(Locale.ROOT, "finetune: %s, %,d parameters; %s adapter r=%d on %d layers, %,d trainable%n", modelPath,
                llama.config().parameterCount(), adapter.config().useMixer() ? "MoSLoRA" : "LoRA", adapter.config().r(),
                adapter.layerNames().size(), adapter.parameters().stream().mapToLong(Tensor::numel).sum());
        System.err.printf(Locale.ROOT, "finetune: %d training sequences from %s, %s; %d steps of %d x %d; run folder %s%n",
                train.size(), dataName, eval == null ? "no held-out data" : eval.sequences().size() + " held out",
                config.steps(), config.batchSize(), config.gradientAccumulation(), runFolder);

        folder.prepare();
        StopRequest stop = new StopRequest();
        TrainingResult result;
        try (ProgressReporter progress = new ProgressReporter("finetune", System.err); InterruptSignals _ = InterruptSignals.install(stop)) {
            TrainingJob job = compute.fineTuning(llama, adapter, loaded).data(train, eval).config(config).stopRequest(stop).callback(progress);
            result = run.resume ? job.resume(runFolder) : job.run(runFolder);
        }
        LossCurves.write(runFolder);
        if (result.alreadyFinished()) {
            System.err.printf(Locale.ROOT, "finetune: the run in %s is already finished (%d steps); nothing to train%n", runFolder, result.steps());
        }
        RunSummary.print("finetune", result);
        return 0;
    }

    /** The file's name without its extension, from a path or a URI. */
    private static String baseName(String location) {
        String name = location.substring(location.lastIndexOf('/') + 1);
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
