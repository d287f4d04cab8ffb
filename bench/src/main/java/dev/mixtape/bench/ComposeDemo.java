package dev.mixtape.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.LoraConfig;
import dev.mixtape.adapters.MixerInit;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.adapters.TargetModules;
import dev.mixtape.adapters.mole.Composition;
import dev.mixtape.adapters.mole.GateInput;
import dev.mixtape.adapters.mole.Granularity;
import dev.mixtape.adapters.mole.Mole;
import dev.mixtape.adapters.mole.MoleConfig;
import dev.mixtape.cli.ProgressReporter;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.io.AtomicFile;
import dev.mixtape.engine.optim.LrSchedule;
import dev.mixtape.models.generate.Sampler;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.tokenizer.Tokenizers;
import dev.mixtape.models.train.DataFiles;
import dev.mixtape.models.train.DataRecord;
import dev.mixtape.models.train.Dataset;
import dev.mixtape.models.train.Evaluator;
import dev.mixtape.models.train.FineTuning;
import dev.mixtape.models.train.GateTraining;
import dev.mixtape.models.train.SpecialIds;
import dev.mixtape.models.train.TrainingJob;
import dev.mixtape.models.train.TrainingConfig;
import dev.mixtape.testdata.Bundled;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * {@code bench/run compose-demo [FOLDER]}: the MoLE demonstration on the bundled tiny model. It trains one
 * MoSLoRA expert per bundled task (the {@code finetune} recipe), then measures each task's exact-match
 * accuracy for every single expert, uniform averaging, PEFT's {@code cat} merge (weights 1), and
 * MoLE gates trained on a mix of the tasks; then the ablations (without the balance loss, with the
 * paper's gate input, the four granularities) and the cost of MoLE's gates in generation against a
 * merged adapter. Tables
 * go to stderr and to {@code results.md} in the output folder; stdout's one line is
 * {@code {"tasks", "single", "uniform", "cat", "mole"}} with accuracies in [0, 1].
 */
public final class ComposeDemo {
    private static final int SEQ_LEN = 64;
    private static final int BATCH = 16;
    private static final long SEED = 1;
    private static final String MOLE = "layer";

    /**
     * How much work the demonstration does.
     *
     * @param expertSteps  fine-tuning steps per expert
     * @param gateSteps    gate-training steps per MoLE
     * @param mixPerTask   training records of each task in the gates' training mix
     * @param evalPerTask  held-out records of each task that accuracies are measured on (0: all)
     */
    record Budget(int expertSteps, int gateSteps, int mixPerTask, int evalPerTask) {
        /** The demonstration as the README reports it. */
        static final Budget FULL = new Budget(600, 200, 200, 0);
    }

    private final Path out;
    private final String backend;
    private final Budget budget;
    private final Path baseModel;
    private final Tokenizer tokenizer;
    private final Map<String, List<DataRecord>> taskEvalRecords = new LinkedHashMap<>();
    private final Map<String, Dataset> taskEvals = new LinkedHashMap<>();
    private final Map<String, Path> experts = new LinkedHashMap<>();
    private final StringBuilder report = new StringBuilder();

    /** Runs the demonstration with its full budget into the new or empty folder {@code args[0]} (default: runs/compose-demo-TIME). */
    public static void main(String[] args) throws IOException {
        Path out = args.length > 0 ? Path.of(args[0])
                : Path.of("runs", "compose-demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        if (Files.isDirectory(out)) {
            try (Stream<Path> entries = Files.list(out)) {
                if (entries.findAny().isPresent()) {
                    System.err.println("compose-demo: " + out + " is not empty; name a new or empty folder");
                    System.exit(1);
                }
            }
        }
        Files.createDirectories(out);
        System.exit(new ComposeDemo(out, "vector", Budget.FULL).run());
    }

    ComposeDemo(Path out, String backend, Budget budget) throws IOException {
        this.out = out;
        this.backend = backend;
        this.budget = budget;
        this.baseModel = Bundled.tinyLlama();
        this.tokenizer = Tokenizers.forModel(baseModel);
    }

    int run() throws IOException {
        SpecialIds special = SpecialIds.of(tokenizer, freshModel().config());
        for (String task : Bundled.TASKS) {
            List<DataRecord> records = DataFiles.read(Bundled.task(task).eval());
            int kept = budget.evalPerTask() > 0 ? Math.min(budget.evalPerTask(), records.size()) : records.size();
            taskEvalRecords.put(task, records.subList(0, kept));
            taskEvals.put(task, Dataset.of(Bundled.task(task).eval().toString(), records.subList(0, kept), tokenizer, special, SEQ_LEN));
        }
        for (String task : Bundled.TASKS) {
            experts.put(task, trainExpert(task, special));
        }

        Map<String, Map<String, Double>> single = new LinkedHashMap<>();
        for (String task : Bundled.TASKS) {
            Llama llama = freshModel();
            PeftFiles.load(experts.get(task), llama, task);
            single.put(task, accuracies("expert " + task, llama));
        }
        Llama averaged = withAllExperts();
        Composition.average(averaged, List.copyOf(experts.keySet()), "uniform").activate();
        Map<String, Double> uniform = accuracies("uniform averaging", averaged);
        Llama concatenated = withAllExperts();
        catOfAll(concatenated).activate();
        Map<String, Double> cat = accuracies("cat merge", concatenated);

        Dataset mix = mixedTasks(special);
        Dataset heldOutMix = mixedEvals(special);
        Map<String, GateRun> ablation = new LinkedHashMap<>();
        ablation.put(MOLE, trainGates("mole-layer", gates(Granularity.LAYER).build(), mix, heldOutMix));
        ablation.put("layer, no balance loss", trainGates("mole-layer-no-balance", gates(Granularity.LAYER).balanceWeight(0).build(), mix, heldOutMix));
        ablation.put("layer, reading the experts' outputs", trainGates("mole-layer-expert-outputs",
                gates(Granularity.LAYER).gateInput(GateInput.EXPERT_OUTPUTS).build(), mix, heldOutMix));
        for (Granularity granularity : List.of(Granularity.MATRIX, Granularity.BLOCK, Granularity.NETWORK)) {
            ablation.put(granularity.jsonName(), trainGates("mole-" + granularity.jsonName(), gates(granularity).build(), mix, heldOutMix));
        }

        Map<String, Map<String, Double>> table = new LinkedHashMap<>();
        single.forEach((task, accuracies) -> table.put("expert " + task, accuracies));
        table.put("uniform averaging", uniform);
        table.put("cat merge (weights 1)", cat);
        table.put("MoLE (layer gates)", ablation.get(MOLE).accuracies());
        section("Accuracy per task", accuracyTable(table, null));
        Map<String, Map<String, Double>> ablationAccuracies = new LinkedHashMap<>();
        Map<String, Double> entropies = new LinkedHashMap<>();
        ablation.forEach((name, run) -> {
            ablationAccuracies.put("MoLE " + name, run.accuracies());
            entropies.put("MoLE " + name, run.entropy());
        });
        section("Ablation: balance loss, gate input and granularity (gate entropy of the last step, log 3 = "
                + String.format(Locale.ROOT, "%.3f", Math.log(experts.size())) + " for even use)", accuracyTable(ablationAccuracies, entropies));
        section("Generation speed: MoLE's gates against a merged adapter", generationSpeed());
        AtomicFile.write(out.resolve("results.md"), report.toString().getBytes(StandardCharsets.UTF_8));

        ObjectMapper json = new ObjectMapper();
        ObjectNode result = json.createObjectNode();
        result.putArray("tasks").addAll(Bundled.TASKS.stream().map(json.getNodeFactory()::textNode).toList());
        ObjectNode singles = result.putObject("single");
        single.forEach((task, accuracies) -> singles.set(task, json.valueToTree(accuracies)));
        result.set("uniform", json.valueToTree(uniform));
        result.set("cat", json.valueToTree(cat));
        result.set("mole", json.valueToTree(ablation.get(MOLE).accuracies()));
        System.out.println(result);
        return 0;
    }

    /**
     * The demonstration's gates: α 0.5, per token, reading the module's input (the released code's
     * form), which routes the bundled tasks better than the experts' outputs (an ablation row shows both).
     */
    private static MoleConfig.Builder gates(Granularity granularity) {
        return MoleConfig.builder().granularity(granularity).gateInput(GateInput.MODULE_INPUT).balanceWeight(0.5);
    }

    /** PEFT's {@code cat} of every expert with weight 1, as PEFT's {@code add_weighted_adapter} is usually called. */
    private Adapter catOfAll(Llama llama) {
        double[] ones = new double[experts.size()];
        Arrays.fill(ones, 1.0);
        return Composition.cat(llama, List.copyOf(experts.keySet()), ones, "cat");
    }

    private Llama freshModel() throws IOException {
        return Llama.load(baseModel, Backends.create(backend));
    }

    private Llama withAllExperts() throws IOException {
        Llama llama = freshModel();
        for (Map.Entry<String, Path> expert : experts.entrySet()) {
            PeftFiles.load(expert.getValue(), llama, expert.getKey());
        }
        return llama;
    }

    /** One MoSLoRA expert trained on {@code task} with {@code finetune}'s defaults. */
    private Path trainExpert(String task, SpecialIds special) throws IOException {
        Path folder = out.resolve("experts").resolve(task);
        Llama llama = freshModel();
        LoraConfig moslora = LoraConfig.builder(new TargetModules.AllLinear()).r(8).alpha(16).mixer(MixerInit.KAIMING)
                .baseModelNameOrPath(baseModel.toString()).build();
        Adapter adapter = Adapters.inject(llama, moslora, task, new Rng(SEED));
        TrainingConfig config = TrainingConfig.builder(budget.expertSteps()).batchSize(BATCH)
                .schedule(LrSchedule.cosine(5e-3, 0, Math.min(20, budget.expertSteps() / 10), budget.expertSteps())).seed(SEED).build();
        Dataset train = Dataset.load(Bundled.task(task).train(), tokenizer, special, SEQ_LEN);
        try (ProgressReporter progress = new ProgressReporter("expert " + task, System.err)) {
            FineTuning.of(llama, adapter, tokenizer).data(train, taskEvals.get(task)).config(config).callback(progress).run(folder);
        }
        return folder;
    }

    /** The first {@code mixPerTask} training records of every task, shuffled together. */
    private Dataset mixedTasks(SpecialIds special) throws IOException {
        List<DataRecord> records = new ArrayList<>();
        for (String task : Bundled.TASKS) {
            List<DataRecord> taskRecords = DataFiles.read(Bundled.task(task).train());
            records.addAll(taskRecords.subList(0, Math.min(budget.mixPerTask(), taskRecords.size())));
        }
        Collections.shuffle(records, new Random(SEED));
        return Dataset.of("the bundled tasks' training data, mixed", records, tokenizer, special, SEQ_LEN);
    }

    private Dataset mixedEvals(SpecialIds special) {
        List<DataRecord> records = new ArrayList<>();
        for (String task : Bundled.TASKS) {
            records.addAll(taskEvalRecords.get(task));
        }
        return Dataset.of("the bundled tasks' held-out data", records, tokenizer, special, SEQ_LEN);
    }

    /** A MoLE's accuracies per task and the gate entropy of its last training step. */
    private record GateRun(Map<String, Double> accuracies, double entropy) {
    }

    private GateRun trainGates(String name, MoleConfig config, Dataset mix, Dataset heldOut) throws IOException {
        Llama llama = withAllExperts();
        Mole mole = Mole.attach(llama, List.copyOf(experts.keySet()), config);
        TrainingConfig training = TrainingConfig.builder(budget.gateSteps()).batchSize(BATCH)
                .schedule(LrSchedule.cosine(3e-3, 0, Math.min(10, budget.gateSteps() / 10), budget.gateSteps())).seed(SEED).build();
        Path runFolder = out.resolve(name);
        try (ProgressReporter progress = new ProgressReporter("gates " + name, System.err)) {
            GateTraining.of(llama, mole, experts, tokenizer).data(mix, heldOut).config(training).callback(progress).run(runFolder);
        }
        return new GateRun(accuracies("MoLE " + name, llama), lastGateEntropy(runFolder.resolve(TrainingJob.METRICS)));
    }

    private static double lastGateEntropy(Path metrics) throws IOException {
        ObjectMapper json = new ObjectMapper();
        double entropy = Double.NaN;
        for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
            JsonNode node = json.readTree(line);
            if (node.has("gate_entropy")) {
                entropy = node.get("gate_entropy").asDouble();
            }
        }
        return entropy;
    }

    private Map<String, Double> accuracies(String what, Llama llama) {
        SpecialIds special = SpecialIds.of(tokenizer, llama.config());
        Map<String, Double> accuracies = new LinkedHashMap<>();
        taskEvals.forEach((task, data) -> accuracies.put(task, Evaluator.evaluate(llama, tokenizer, data, special, BATCH).accuracy().orElseThrow()));
        System.err.printf(Locale.ROOT, "compose demo: %s: %s%n", what, accuracies);
        return accuracies;
    }

    private static String accuracyTable(Map<String, Map<String, Double>> rows, Map<String, Double> entropies) {
        StringBuilder table = new StringBuilder("| | " + String.join(" | ", Bundled.TASKS) + " | mean |" + (entropies != null ? " gate entropy |" : ""));
        table.append("\n|---|").append("---:|".repeat(Bundled.TASKS.size() + 1)).append(entropies != null ? "---:|" : "").append('\n');
        rows.forEach((name, accuracies) -> {
            table.append("| ").append(name).append(" |");
            accuracies.values().forEach(a -> table.append(String.format(Locale.ROOT, " %.2f |", a)));
            table.append(String.format(Locale.ROOT, " %.3f |", accuracies.values().stream().mapToDouble(Double::doubleValue).average().orElseThrow()));
            if (entropies != null) {
                table.append(String.format(Locale.ROOT, " %.3f |", entropies.get(name)));
            }
            table.append('\n');
        });
        return table.toString();
    }

    /** Generation tokens/s of the cat merge, merged into the weights, against the MoLE's gates. */
    private String generationSpeed() throws IOException {
        Llama merged = withAllExperts();
        Adapters.mergeAndUnload(merged, catOfAll(merged).name());
        Llama gated = withAllExperts();
        Mole.attach(gated, List.copyOf(experts.keySet()), gates(Granularity.LAYER).build());
        double[] speeds = alternatingSpeeds(merged, gated);
        return String.format(Locale.ROOT, "| | gen tok/s |%n|---|---:|%n| merged adapter | %.0f |%n| MoLE (3 experts, layer gates) | %.0f |%n"
                + "| ratio | %.2f |%n", speeds[0], speeds[1], speeds[1] / speeds[0]);
    }

    /**
     * Generation tokens/s of each model: greedy decoding from BOS to the last position, whatever tokens
     * come; rounds alternate between the models so that both see the same machine load, and each
     * model's median round counts.
     */
    private static double[] alternatingSpeeds(Llama... models) {
        int rounds = 9;
        double[][] speeds = new double[models.length][rounds];
        for (Llama model : models) {
            decode(model);
        }
        for (int round = 0; round < rounds; round++) {
            for (int m = 0; m < models.length; m++) {
                long start = System.nanoTime();
                int tokens = 0;
                for (int repeat = 0; repeat < 4; repeat++) {
                    tokens += decode(models[m]);
                }
                speeds[m][round] = tokens / ((System.nanoTime() - start) / 1e9);
            }
        }
        double[] medians = new double[models.length];
        for (int m = 0; m < models.length; m++) {
            Arrays.sort(speeds[m]);
            medians[m] = speeds[m][rounds / 2];
        }
        return medians;
    }

    private static int decode(Llama llama) {
        int tokens = llama.config().maxPositions() - 1;
        Llama.Session session = llama.newSession(tokens + 1);
        int token = llama.config().bosId();
        for (int i = 0; i < tokens; i++) {
            token = Sampler.argmax(session.forward(token));
        }
        return tokens;
    }

    private void section(String title, String body) {
        String text = "## " + title + "\n\n" + body + "\n";
        report.append(text);
        System.err.print(text);
    }
}
