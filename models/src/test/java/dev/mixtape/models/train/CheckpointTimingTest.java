package dev.mixtape.models.train;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Automatic checkpoints come at least 10 s apart and at least 100 times what the last one took to
 * write, so that saving costs at most 1% of a run; an explicit interval counts steps, not time.
 */
class CheckpointTimingTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void automaticCheckpointsWaitForTenSecondsOrAHundredTimesTheirCost() throws IOException {
        AtomicLong clock = new AtomicLong();
        CheckpointTiming timing = new CheckpointTiming(0, clock::get);
        clock.set(10 * SECOND - 1);
        assertFalse(timing.due(1), "before the first 10 s");
        clock.set(10 * SECOND);
        assertTrue(timing.due(2));

        timing.save(() -> clock.addAndGet(SECOND / 2));
        long saved = clock.get();
        clock.set(saved + 50 * SECOND - 1);
        assertFalse(timing.due(3), "a save of 0.5 s: not within 50 s");
        clock.set(saved + 50 * SECOND);
        assertTrue(timing.due(4));

        timing.save(() -> clock.addAndGet(SECOND / 1000));
        saved = clock.get();
        clock.set(saved + 10 * SECOND - 1);
        assertFalse(timing.due(5), "a save of 1 ms: still 10 s apart");
        clock.set(saved + 10 * SECOND);
        assertTrue(timing.due(6));
    }

    @Test
    void anExplicitIntervalCountsSteps() throws IOException {
        AtomicLong clock = new AtomicLong();
        CheckpointTiming timing = new CheckpointTiming(3, clock::get);
        clock.set(1000 * SECOND);
        assertFalse(timing.due(2));
        assertTrue(timing.due(3));
        timing.save(() -> clock.addAndGet(100 * SECOND));
        assertFalse(timing.due(4));
        assertTrue(timing.due(6));
    }
}
