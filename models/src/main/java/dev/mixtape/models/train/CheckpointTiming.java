package dev.mixtape.models.train;

import java.io.IOException;
import java.util.function.LongSupplier;

/**
 * When a {@link Trainer} writes a checkpoint between the first step and the last: every
 * {@code saveEvery} steps when that is set; otherwise once the time since the last checkpoint is at
 * least {@value #MINIMUM_SECONDS} s and {@value #COST_FACTOR} times what writing that checkpoint took,
 * so that saving costs at most 1% of the run however large the model, while a crash loses little.
 */
final class CheckpointTiming {
    static final int MINIMUM_SECONDS = 10;
    static final int COST_FACTOR = 100;

    private final int saveEvery;
    private final LongSupplier nanoClock;
    private long lastEnd;
    private long lastCost;

    /** Timing by {@link System#nanoTime()}. */
    CheckpointTiming(int saveEvery) {
        this(saveEvery, System::nanoTime);
    }

    CheckpointTiming(int saveEvery, LongSupplier nanoClock) {
        this.saveEvery = saveEvery;
        this.nanoClock = nanoClock;
        this.lastEnd = nanoClock.getAsLong();
    }

    /** Whether a checkpoint is due after {@code step}. */
    boolean due(int step) {
        if (saveEvery > 0) {
            return step % saveEvery == 0;
        }
        long since = nanoClock.getAsLong() - lastEnd;
        return since >= Math.max(MINIMUM_SECONDS * 1_000_000_000L, COST_FACTOR * lastCost);
    }

    /** Times {@code save}, a checkpoint's writing, for the next {@link #due}. */
    void save(IoAction save) throws IOException {
        long start = nanoClock.getAsLong();
        save.run();
        lastEnd = nanoClock.getAsLong();
        lastCost = lastEnd - start;
    }

    /** Writes something. */
    @FunctionalInterface
    interface IoAction {
        void run() throws IOException;
    }
}
