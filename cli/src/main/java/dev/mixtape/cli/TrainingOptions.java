package dev.mixtape.cli;

import dev.mixtape.engine.optim.LrSchedule;
import dev.mixtape.models.train.OptimizerSettings;
import dev.mixtape.models.train.TrainingConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** The options of every training command: steps, batches, optimizer, schedule, evaluation, checkpoints. */
final class TrainingOptions {
    @Option(names = "--steps", description = "Optimizer steps (default: 600 for finetune, 200 for compose, 100 for pretrain; see also --epochs).")
    Integer steps;

    @Option(names = "--epochs", description = "Passes over the training data, instead of --steps (the last pass may be partial).")
    Double epochs;

    @Option(names = "--batch-size", description = "Sequences per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize = 16;

    @Option(names = "--grad-accum", defaultValue = "1", description = "Forward passes per optimizer step (default: ${DEFAULT-VALUE}).")
    int gradientAccumulation;

    @Option(names = "--optimizer", defaultValue = "adamw", description = "adamw (default) or sgd.")
    String optimizer;

    @Option(names = "--lr", description = "Peak learning rate (default, tuned on the bundled tiny model: 5e-3 for finetune, 3e-3 for compose; 1e-3 for pretrain).")
    Double learningRate;

    @Option(names = "--min-lr", defaultValue = "0", description = "Learning rate at the end of the cosine (default: ${DEFAULT-VALUE}).")
    double minLearningRate;

    @Option(names = "--warmup-steps", description = "Steps of linear warmup from 0 (default: 20 for finetune, 10 for compose, or a tenth of the steps if fewer; 0 for pretrain).")
    Integer warmupSteps;

    @Option(names = "--schedule", defaultValue = "cosine", description = "cosine (default: warmup, then down to --min-lr) or constant (warmup, then --lr).")
    String schedule;

    @Option(names = "--weight-decay", defaultValue = "0", description = "Weight decay, decoupled for AdamW (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default: ${DEFAULT-VALUE}).")
    double momentum;

    @Option(names = "--max-grad-norm", description = "Global gradient-norm limit, 0 for none (default: ${DEFAULT-VALUE}).")
    double clipNorm = 1.0;

    @Option(names = "--eval-every", defaultValue = "0", description = "Evaluate every N steps; 0: only before the first and after the last (default).")
    int evalEvery;

    @Option(names = "--save-every", defaultValue = "0", description = "Checkpoint every N steps; 0 (default): automatically, at least "
            + "10 s apart and costing under 1%% of the time. Ctrl-C checkpoints the current step and stops; --resume continues.")
    int saveEvery;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the initial weights and the data order (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--batch", hidden = true, description = "Deprecated spelling of --batch-size.")
    void deprecatedBatch(int value) {
        DeprecatedOption.warn("--batch", "--batch-size");
        batchSize = value;
    }

    @Option(names = "--warmup", hidden = true, description = "Deprecated spelling of --warmup-steps.")
    void deprecatedWarmup(int value) {
        DeprecatedOption.warn("--warmup", "--warmup-steps");
        warmupSteps = value;
    }

    @Option(names = "--clip", hidden = true, description = "Deprecated spelling of --max-grad-norm.")
    void deprecatedClip(double value) {
        DeprecatedOption.warn("--clip", "--max-grad-norm");
        clipNorm = value;
    }

    /**
     * What a command trains with when its options are not given.
     *
     * @param steps        optimizer steps when neither {@code --steps} nor {@code --epochs} is given
     * @param learningRate peak learning rate
     * @param warmupSteps  steps of linear warmup
     */
    record Defaults(int steps, double learningRate, int warmupSteps) {
    }

    /**
     * The {@link TrainingConfig} these options describe, for {@code sequences} training sequences. Its
     * settings, which a resumed run must repeat, are the command's {@code commandSettings} and then
     * these options' values (as resolved: the steps that {@code --epochs} gave, the default learning
     * rate). Errors name the option.
     */
    TrainingConfig toConfig(int sequences, Defaults defaults, Map<String, String> commandSettings) {
        if (steps != null && epochs != null) {
            throw new IllegalArgumentException("give --steps or --epochs, not both");
        }
        if (epochs != null && !(epochs > 0 && Double.isFinite(epochs))) {
            throw new IllegalArgumentException("--epochs must be > 0, got " + epochs);
        }
        OptionChecks.atLeast("--steps", steps, 1);
        OptionChecks.atLeast("--batch-size", batchSize, 1);
        OptionChecks.atLeast("--grad-accum", gradientAccumulation, 1);
        OptionChecks.atLeast("--warmup-steps", warmupSteps, 0);
        OptionChecks.atLeast("--eval-every", evalEvery, 0);
        OptionChecks.atLeast("--save-every", saveEvery, 0);
        OptionChecks.nonNegative("--lr", learningRate);
        OptionChecks.nonNegative("--min-lr", minLearningRate);
        OptionChecks.nonNegative("--weight-decay", weightDecay);
        OptionChecks.nonNegative("--max-grad-norm", clipNorm);
        OptionChecks.fraction("--momentum", momentum);
        int steps = this.steps != null ? this.steps
                : epochs != null ? (int) Math.ceil(epochs * sequences / ((double) batchSize * gradientAccumulation))
                : defaults.steps();
        double learningRate = this.learningRate != null ? this.learningRate : defaults.learningRate();
        int warmupSteps = this.warmupSteps != null ? this.warmupSteps : Math.min(defaults.warmupSteps(), steps / 10);
        if (learningRate < minLearningRate) {
            throw new IllegalArgumentException("--min-lr " + minLearningRate + " is above --lr " + learningRate);
        }
        if (warmupSteps > steps) {
            throw new IllegalArgumentException("--warmup-steps " + warmupSteps + " is more than the run's " + steps + " steps");
        }
        OptimizerSettings settings = switch (optimizer.toLowerCase(Locale.ROOT)) {
            case "adamw" -> OptimizerSettings.adamw(weightDecay);
            case "sgd" -> OptimizerSettings.sgd(momentum, weightDecay);
            default -> throw new IllegalArgumentException("--optimizer must be adamw or sgd, got '" + optimizer + "'");
        };
        LrSchedule lrSchedule = switch (schedule.toLowerCase(Locale.ROOT)) {
            case "cosine" -> LrSchedule.cosine(learningRate, minLearningRate, warmupSteps, steps);
            case "constant" -> LrSchedule.linearWarmup(learningRate, warmupSteps);
            default -> throw new IllegalArgumentException("--schedule must be cosine or constant, got '" + schedule + "'");
        };
        Map<String, String> runSettings = new LinkedHashMap<>(commandSettings);
        runSettings.put("--steps", Integer.toString(steps));
        runSettings.put("--batch-size", Integer.toString(batchSize));
        runSettings.put("--grad-accum", Integer.toString(gradientAccumulation));
        runSettings.put("--optimizer", optimizer.toLowerCase(Locale.ROOT));
        runSettings.put("--lr", Double.toString(learningRate));
        runSettings.put("--min-lr", Double.toString(minLearningRate));
        runSettings.put("--warmup-steps", Integer.toString(warmupSteps));
        runSettings.put("--schedule", schedule.toLowerCase(Locale.ROOT));
        runSettings.put("--weight-decay", Double.toString(weightDecay));
        runSettings.put("--momentum", Double.toString(momentum));
        runSettings.put("--max-grad-norm", Double.toString(clipNorm));
        runSettings.put("--seed", Long.toString(seed));
        return TrainingConfig.builder(steps).batchSize(batchSize).gradientAccumulation(gradientAccumulation).optimizer(settings)
                .schedule(lrSchedule).clipNorm(clipNorm).evalEvery(evalEvery).saveEvery(saveEvery).seed(seed).settings(runSettings).build();
    }

    /** How a run's settings name a file: its absolute path, or "(none)" for an option not given. */
    static String describe(Path file) {
        return file == null ? "(none)" : file.toAbsolutePath().normalize().toString();
    }
}
