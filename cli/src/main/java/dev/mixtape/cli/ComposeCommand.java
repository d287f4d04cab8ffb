package dev.mixtape.cli;

import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.adapters.mole.Mole;
import dev.mixtape.engine.Tensor;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.train.SpecialIds;
import dev.mixtape.models.train.StopRequest;
import dev.mixtape.models.train.TrainingConfig;
import dev.mixtape.models.train.TrainingJob;
import dev.mixtape.models.train.TrainingResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code mixtape compose}: a MoLE (Mixture of LoRA Experts) of already-trained adapters, whose gates
 * alone train, with the progress, metrics, plot and last JSON line of {@code finetune}; the run folder
 * is a MoLE folder that {@code generate --mole} and {@code eval --mole} read.
 */
@Command(name = "compose", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compose trained adapters with MoLE: learned gates weigh the frozen experts per token.",
                "Stdout's last line: the run's JSON summary."})
final class ComposeCommand implements Callable<Integer> {
    private static final TrainingOptions.Defaults DEFAULTS = new TrainingOptions.Defaults(200, 3e-3, 10);
    private static final int DEFAULT_SEQ_LEN = 256;

    @Mixin
    ModelOption model;

    @Mixin
    TokenizerOption tokenizer;

    @Option(names = "--experts", split = ",", description = "The expert adapter folders (PEFT's format), comma-separated; named by their folder names.")
    List<Path> experts;

    @Option(names = "--data", description = "Data to train the gates on: .jsonl or plain text, typically a mix of the experts' tasks.")
    Path data;

    @Option(names = "--eval-data", description = "Held-out data (default: a held-out tenth of --data).")
    Path evalData;

    @Option(names = "--seq-len", description = "Tokens per sequence (default: " + DEFAULT_SEQ_LEN + " or the model's positions, if fewer).")
    Integer seqLen;

    @Mixin
    RunFolderOptions run;

    @Mixin
    BackendOption backend;

    @Mixin
    MoleOptions moleOptions;

    @Mixin
    TrainingOptions training;

    @Mixin
    WeightsOption weights;

    @Mixin
    SparkOption spark;

    @Override
    public Integer call() throws Exception {
        String time = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        if (experts == null || experts.isEmpty() || data == null) {
            throw new IllegalArgumentException("compose needs --experts and --data");
        }
        spark.requireSpark();
        Path modelPath = model.path();
        Path runFolder = run.folder(Path.of("runs", "mole-" + time));
        List<OutputFolder.Input> inputs = new ArrayList<>(List.of(new OutputFolder.Input("--model", modelPath),
                new OutputFolder.Input("--tokenizer", tokenizer.given), new OutputFolder.Input("--data", data), new OutputFolder.Input("--eval-data", evalData)));
        experts.forEach(expert -> inputs.add(new OutputFolder.Input("--experts", expert)));
        OutputFolder folder = OutputFolder.check(runFolder, run.resume, run.overwrite, inputs);
        Llama llama = ModelOptions.loadModel(modelPath, backend.name, weights.dtype(), weights.nonFinite());
        String weightTypes = WeightsOption.recorded(llama);
        Tokenizer loaded = ModelOptions.loadTokenizer(modelPath, tokenizer.given, llama.config());
        Map<String, Path> expertFolders = expertFolders(experts);
        for (Map.Entry<String, Path> expert : expertFolders.entrySet()) {
            PeftFiles.load(expert.getValue(), llama, expert.getKey());
        }
        Mole mole = Mole.attach(llama, List.copyOf(expertFolders.keySet()), moleOptions.toConfig());

        int length = TrainingData.seqLen(seqLen, DEFAULT_SEQ_LEN, llama.config().maxPositions());
        TrainingData loadedData = TrainingData.load(data, evalData, loaded, SpecialIds.of(loaded, llama.config()), length, training.seed);
        loadedData.reportLengths("compose");
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("--model", TrainingOptions.describe(modelPath));
        settings.put("--tokenizer", TrainingOptions.describe(tokenizer.given));
        settings.put("--experts", expertFolders.values().stream().map(TrainingOptions::describe).collect(Collectors.joining(",")));
        settings.put("--data", TrainingOptions.describe(data));
        settings.put("--eval-data", TrainingOptions.describe(evalData));
        settings.put("--seq-len", Integer.toString(length));
        settings.put("--weights", weightTypes);
        settings.put("--backend", backend.name);
        settings.putAll(moleOptions.settings());
        settings.putAll(spark.settings());
        TrainingConfig config = training.toConfig(loadedData.train().sequences().size(), DEFAULTS, settings);
        System.err.printf(Locale.ROOT, "compose: %d experts %s, %d gates (%s), %,d gate parameters; %d training sequences; %d steps; run folder %s%n",
                expertFolders.size(), expertFolders.keySet(), mole.gateNames().size(), mole.config().granularity().jsonName(),
                mole.parameters().stream().mapToLong(Tensor::numel).sum(), loadedData.train().sequences().size(), config.steps(), runFolder);

        folder.prepare();
        StopRequest stop = new StopRequest();
        TrainingResult result;
        try (SparkOption.Compute compute = spark.open("compose", modelPath, backend.name, weights.dtype(), weights.nonFinite());
             ProgressReporter progress = new ProgressReporter("compose", System.err); InterruptSignals _ = InterruptSignals.install(stop)) {
            TrainingJob job = compute.gateTraining(llama, mole, expertFolders, loaded).data(loadedData.train(), loadedData.eval()).config(config)
                    .stopRequest(stop).callback(progress);
            result = run.resume ? job.resume(runFolder) : job.run(runFolder);
        }
        LossCurves.write(runFolder);
        if (result.alreadyFinished()) {
            System.err.printf(Locale.ROOT, "compose: the run in %s is already finished (%d steps); nothing to train%n", runFolder, result.steps());
        }
        RunSummary.print("compose", result);
        return 0;
    }

    /** The expert folders by name (each folder's own name); two folders of one name are refused. */
    static Map<String, Path> expertFolders(List<Path> folders) {
        Map<String, Path> byName = new LinkedHashMap<>();
        for (Path folder : folders) {
            String name = folder.toAbsolutePath().normalize().getFileName().toString().replace('.', '_');
            if (byName.putIfAbsent(name, folder) != null) {
                throw new IllegalArgumentException("two expert folders are called '" + name + "' (" + byName.get(name) + ", " + folder
                        + "); experts are named by their folders, so rename one");
            }
        }
        return byName;
    }
}
