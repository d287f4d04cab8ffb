package dev.mixtape.serve;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link StepLayouts}: each layout is timed once, then steps take the faster, all but every
 * {@link StepLayouts#PROBE_EVERY}th, which times the other; a layout that became faster is taken
 * once its probes show it; bands of row counts are timed apart; one slow step (a collection's
 * pause) does not swing the choice.
 */
class StepLayoutsTest {
    private static final long ONE_GROUP_NANOS = 1_000_000;
    private static final long SIDE_BY_SIDE_NANOS = 1_500_000;

    @Test
    void timesBothThenTakesTheFasterAndProbesTheOther() {
        StepLayouts layouts = new StepLayouts(64);
        assertTrue(layouts.oneGroup(16), "one group is timed first");
        layouts.record(16, true, ONE_GROUP_NANOS);
        assertFalse(layouts.oneGroup(16), "then groups side by side");
        layouts.record(16, false, SIDE_BY_SIDE_NANOS);
        int probes = 0;
        for (int step = 3; step <= 10 * StepLayouts.PROBE_EVERY; step++) {
            boolean oneGroup = layouts.oneGroup(16);
            layouts.record(16, oneGroup, oneGroup ? ONE_GROUP_NANOS : SIDE_BY_SIDE_NANOS);
            assertEquals(step % StepLayouts.PROBE_EVERY != 0, oneGroup, "step " + step);
            probes += oneGroup ? 0 : 1;
        }
        assertEquals(10, probes);
    }

    /** Groups side by side become three times faster while one group stays as it was: only the probes can see it. */
    @Test
    void aLayoutThatBecameFasterIsTakenOnceItsProbesShowIt() {
        StepLayouts layouts = new StepLayouts(64);
        layouts.record(16, true, ONE_GROUP_NANOS);
        layouts.record(16, false, SIDE_BY_SIDE_NANOS);
        int firstSideBySide = -1;
        for (int step = 1; step <= 20 * StepLayouts.PROBE_EVERY && firstSideBySide < 0; step++) {
            boolean oneGroup = layouts.oneGroup(16);
            layouts.record(16, oneGroup, oneGroup ? ONE_GROUP_NANOS : SIDE_BY_SIDE_NANOS / 3);
            if (!oneGroup && step % StepLayouts.PROBE_EVERY != 0) {
                firstSideBySide = step;
            }
        }
        assertTrue(firstSideBySide > StepLayouts.PROBE_EVERY && firstSideBySide < 5 * StepLayouts.PROBE_EVERY,
                "groups side by side taken from step " + firstSideBySide);
    }

    @Test
    void bandsOfRowCountsAreTimedApart() {
        StepLayouts layouts = new StepLayouts(64);
        layouts.record(16, true, ONE_GROUP_NANOS);
        layouts.record(16, false, SIDE_BY_SIDE_NANOS);
        assertTrue(layouts.oneGroup(64), "64 rows have no times yet: one group first");
        layouts.record(64, true, 4 * SIDE_BY_SIDE_NANOS);
        layouts.record(64, false, 4 * ONE_GROUP_NANOS);
        assertFalse(layouts.oneGroup(64));
        assertTrue(layouts.oneGroup(17), "16 to 23 rows share a band");
    }

    @Test
    void oneSlowStepDoesNotSwingTheChoice() {
        StepLayouts layouts = new StepLayouts(64);
        layouts.record(16, true, ONE_GROUP_NANOS);
        layouts.record(16, false, SIDE_BY_SIDE_NANOS);
        layouts.record(16, true, 100 * ONE_GROUP_NANOS);
        assertTrue(layouts.oneGroup(16));
    }
}
