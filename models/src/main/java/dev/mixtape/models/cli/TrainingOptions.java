package dev.mixtape.models.cli;

import dev.mixtape.engine.optim.LrSchedule;
import dev.mixtape.models.train.OptimizerSettings;
import dev.mixtape.models.train.TrainingConfig;
import picocli.CommandLine.Option;

import java.util.Locale;

/** The options of every training command: steps, batches, optimizer, schedule, evaluation, checkpoints. */
final class TrainingOptions {
    @Option(names = "--steps", defaultValue = "100", description = "Optimizer steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch-size", defaultValue = "8", description = "Sequences per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--grad-accum", defaultValue = "1", description = "Forward passes per optimizer step (default: ${DEFAULT-VALUE}).")
    int gradientAccumulation;

    @Option(names = "--optimizer", defaultValue = "adamw", description = "adamw (default) or sgd.")
    String optimizer;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--min-lr", defaultValue = "0", description = "Learning rate at the end of the cosine (default: ${DEFAULT-VALUE}).")
    double minLearningRate;

    @Option(names = "--warmup", defaultValue = "0", description = "Steps of linear warmup from 0 (default: ${DEFAULT-VALUE}).")
    int warmupSteps;

    @Option(names = "--schedule", defaultValue = "cosine", description = "cosine (default: warmup, then down to --min-lr) or constant (warmup, then --lr).")
    String schedule;

    @Option(names = "--weight-decay", defaultValue = "0", description = "Weight decay, decoupled for AdamW (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default: ${DEFAULT-VALUE}).")
    double momentum;

    @Option(names = "--clip", defaultValue = "1.0", description = "Global gradient-norm limit, 0 for none (default: ${DEFAULT-VALUE}).")
    double clipNorm;

    @Option(names = "--eval-every", defaultValue = "0", description = "Evaluate every N steps; 0: only at the end (default).")
    int evalEvery;

    @Option(names = "--save-every", defaultValue = "0", description = "Checkpoint every N steps; 0: only at the end (default).")
    int saveEvery;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the initial weights and the data order (default: ${DEFAULT-VALUE}).")
    long seed;

    /** The {@link TrainingConfig} these options describe; errors name the option. */
    TrainingConfig toConfig() {
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
        return TrainingConfig.builder(steps).batchSize(batchSize).gradientAccumulation(gradientAccumulation).optimizer(settings)
                .schedule(lrSchedule).clipNorm(clipNorm).evalEvery(evalEvery).saveEvery(saveEvery).seed(seed).build();
    }
}
