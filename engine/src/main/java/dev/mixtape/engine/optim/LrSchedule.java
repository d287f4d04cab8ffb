package dev.mixtape.engine.optim;

/**
 * A learning rate as a function of the step, to feed {@link Optimizer#setLr} before each step:
 * <pre>{@code
 * for (int step = 0; step < total; step++) {
 *     optimizer.setLr(schedule.lr(step));
 *     ... loss.backward(); optimizer.step(); optimizer.zeroGrad();
 * }
 * }</pre>
 * {@code step} counts the optimizer steps already taken, so {@code lr(0)} is the rate of the first
 * one, as with PyTorch's {@code LambdaLR} and Hugging Face's schedules (whose warmup therefore
 * starts the first step at 0).
 */
@FunctionalInterface
public interface LrSchedule {

    /** The learning rate for the step after {@code step} completed steps ({@code step ≥ 0}). */
    double lr(long step);

    /** The same rate at every step. */
    static LrSchedule constant(double lr) {
        requireRate("lr", lr);
        return step -> {
            requireStep(step);
            return lr;
        };
    }

    /**
     * A linear ramp from 0 to {@code lr} over {@code warmupSteps}, then constant: {@code lr · step /
     * warmupSteps} while {@code step < warmupSteps} (Hugging Face's {@code get_constant_schedule_with_warmup}).
     */
    static LrSchedule linearWarmup(double lr, long warmupSteps) {
        requireRate("lr", lr);
        requireCount("warmupSteps", warmupSteps);
        return step -> {
            requireStep(step);
            return lr * warmupFactor(step, warmupSteps);
        };
    }

    /**
     * Linear warmup to {@code peakLr}, then a half cosine down to {@code minLr} at {@code totalSteps}
     * (Hugging Face's {@code get_cosine_with_min_lr_schedule_with_warmup}, one half cycle; with
     * {@code minLr = 0} it is {@code get_cosine_schedule_with_warmup}):
     * <pre>
     *   step &lt; warmup:  peakLr · step / warmup
     *   otherwise:      minLr + (peakLr − minLr) · ½ · (1 + cos(π · progress)),
     *                   progress = (step − warmup) / max(1, totalSteps − warmup)
     * </pre>
     * Past {@code totalSteps} it stays at {@code minLr}, where Hugging Face's formula would climb again.
     */
    static LrSchedule cosine(double peakLr, double minLr, long warmupSteps, long totalSteps) {
        requireRate("peakLr", peakLr);
        requireRate("minLr", minLr);
        if (minLr > peakLr) {
            throw new IllegalArgumentException("minLr " + minLr + " exceeds peakLr " + peakLr);
        }
        requireCount("warmupSteps", warmupSteps);
        requireCount("totalSteps", totalSteps);
        if (warmupSteps > totalSteps) {
            throw new IllegalArgumentException("warmupSteps " + warmupSteps + " exceeds totalSteps " + totalSteps);
        }
        return step -> {
            requireStep(step);
            if (step < warmupSteps) {
                return peakLr * warmupFactor(step, warmupSteps);
            }
            double progress = Math.min(1.0, (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
            return minLr + (peakLr - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
        };
    }

    private static double warmupFactor(long step, long warmupSteps) {
        return step < warmupSteps ? (double) step / warmupSteps : 1.0;
    }

    private static void requireRate(String name, double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException(name + " must be finite and >= 0, got " + lr);
        }
    }

    private static void requireCount(String name, long count) {
        if (count < 0) {
            throw new IllegalArgumentException(name + " must be >= 0, got " + count);
        }
    }

    private static void requireStep(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
    }
}
