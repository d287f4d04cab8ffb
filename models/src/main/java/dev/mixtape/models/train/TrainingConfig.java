package dev.mixtape.models.train;

import dev.mixtape.engine.optim.LrSchedule;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a {@link Trainer} runs. Build one with {@link #builder(int)}; unset fields keep the defaults
 * shown there.
 *
 * @param steps                 optimizer steps in the whole run
 * @param batchSize             sequences per forward pass (micro-batch)
 * @param gradientAccumulation  micro-batches whose gradients add up to one step
 * @param optimizer             the optimizer and its hyperparameters
 * @param schedule              the learning rate of each step
 * @param clipNorm              global gradient-norm limit; 0 for no clipping
 * @param evalEvery             evaluate every this many steps (and before the first and after the last); 0: only those two
 * @param saveEvery             checkpoint every this many steps (and at the end); 0: as often as keeps saving
 *                              under 1% of the training time ({@link CheckpointTiming})
 * @param seed                  seed of the data order
 * @param settings              how the caller describes the run, by setting name and value (the command
 *                              line's options, say), in the order to report them: a resumed run must give
 *                              the same values, and a difference is reported by these names
 */
public record TrainingConfig(int steps, int batchSize, int gradientAccumulation, OptimizerSettings optimizer,
                             LrSchedule schedule, double clipNorm, int evalEvery, int saveEvery, long seed,
                             Map<String, String> settings) {

    public TrainingConfig {
        requireAtLeast("steps", steps, 1);
        requireAtLeast("batch size", batchSize, 1);
        requireAtLeast("gradient accumulation", gradientAccumulation, 1);
        requireAtLeast("evaluation interval", evalEvery, 0);
        requireAtLeast("checkpoint interval", saveEvery, 0);
        if (!(clipNorm >= 0) || Double.isInfinite(clipNorm)) {
            throw new IllegalArgumentException("gradient clipping norm must be finite and >= 0, got " + clipNorm);
        }
        if (optimizer == null || schedule == null) {
            throw new IllegalArgumentException("an optimizer and a learning-rate schedule are required");
        }
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    }

    private static void requireAtLeast(String name, int value, int least) {
        if (value < least) {
            throw new IllegalArgumentException(name + " must be >= " + least + ", got " + value);
        }
    }

    /**
     * A builder for a run of {@code steps} steps with defaults: batch size 8, no accumulation, AdamW
     * without weight decay, constant learning rate 1e-3, clipping at norm 1, evaluation before the
     * first step and after the last, checkpoints timed automatically, seed 0, no settings of the caller's.
     */
    public static Builder builder(int steps) {
        return new Builder(steps);
    }

    /** Sets a {@link TrainingConfig}'s fields one by one. */
    public static final class Builder {
        private final int steps;
        private int batchSize = 8;
        private int gradientAccumulation = 1;
        private OptimizerSettings optimizer = OptimizerSettings.adamw(0);
        private LrSchedule schedule = LrSchedule.constant(1e-3);
        private double clipNorm = 1.0;
        private int evalEvery;
        private int saveEvery;
        private long seed;
        private Map<String, String> settings = Map.of();

        private Builder(int steps) {
            this.steps = steps;
        }

        /** Sequences per forward pass. */
        public Builder batchSize(int value) {
            batchSize = value;
            return this;
        }

        /** Micro-batches per optimizer step. */
        public Builder gradientAccumulation(int value) {
            gradientAccumulation = value;
            return this;
        }

        /** The optimizer. */
        public Builder optimizer(OptimizerSettings value) {
            optimizer = value;
            return this;
        }

        /** The learning-rate schedule. */
        public Builder schedule(LrSchedule value) {
            schedule = value;
            return this;
        }

        /** Global gradient-norm limit, 0 for none. */
        public Builder clipNorm(double value) {
            clipNorm = value;
            return this;
        }

        /** Evaluation interval in steps, 0 for only before the first and after the last. */
        public Builder evalEvery(int value) {
            evalEvery = value;
            return this;
        }

        /** Checkpoint interval in steps, 0 for automatic timing. */
        public Builder saveEvery(int value) {
            saveEvery = value;
            return this;
        }

        /** Seed of the data order. */
        public Builder seed(long value) {
            seed = value;
            return this;
        }

        /** The caller's description of the run, which a resumed run must repeat (see {@link TrainingConfig}). */
        public Builder settings(Map<String, String> value) {
            settings = value;
            return this;
        }

        /** The config; invalid values throw here, naming the field. */
        public TrainingConfig build() {
            return new TrainingConfig(steps, batchSize, gradientAccumulation, optimizer, schedule, clipNorm, evalEvery, saveEvery, seed,
                    settings);
        }
    }
}
