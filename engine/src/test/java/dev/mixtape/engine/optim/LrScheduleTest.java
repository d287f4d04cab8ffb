package dev.mixtape.engine.optim;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LrScheduleTest {
    @Test
    void constantIsTheSameAtEveryStep() {
        LrSchedule schedule = LrSchedule.constant(3e-4);
        assertEquals(3e-4, schedule.lr(0));
        assertEquals(3e-4, schedule.lr(12345));
    }

    @Test
    void linearWarmupRampsFromZeroThenHolds() {
        LrSchedule schedule = LrSchedule.linearWarmup(2.0, 4);
        assertEquals(0.0, schedule.lr(0));          // 2·0/4
        assertEquals(0.5, schedule.lr(1));          // 2·1/4
        assertEquals(1.5, schedule.lr(3));          // 2·3/4
        assertEquals(2.0, schedule.lr(4));
        assertEquals(2.0, schedule.lr(100));
        assertEquals(2.0, LrSchedule.linearWarmup(2.0, 0).lr(0));
    }

    @Test
    void cosineWarmsUpThenFollowsHalfACosineToTheMinimum() {
        // peak 1.0, min 0.1, warmup 10, total 110: the cosine part spans 100 steps.
        LrSchedule schedule = LrSchedule.cosine(1.0, 0.1, 10, 110);
        assertEquals(0.0, schedule.lr(0));
        assertEquals(0.5, schedule.lr(5));                           // 1·5/10
        assertEquals(1.0, schedule.lr(10), 1e-15);                   // progress 0: cos 0 = 1 → 0.1 + 0.9·1
        // progress 25/100: cos(π/4) = 0.70710678…, 0.1 + 0.9·0.5·1.70710678… = 0.86819805…
        assertEquals(0.868198051533946, schedule.lr(35), 1e-12);
        assertEquals(0.55, schedule.lr(60), 1e-12);                  // progress ½: cos(π/2) = 0 → 0.1 + 0.45
        // progress 75/100: cos(3π/4) = −0.70710678…, 0.1 + 0.9·0.5·0.29289321… = 0.23180194…
        assertEquals(0.231801948466054, schedule.lr(85), 1e-12);
        assertEquals(0.1, schedule.lr(110), 1e-12);                  // progress 1: cos π = −1
        assertEquals(0.1, schedule.lr(500), 1e-12);                  // held at the minimum past the end
    }

    @Test
    void cosineWithoutWarmupOrMinimumIsHuggingFacesDefault() {
        LrSchedule schedule = LrSchedule.cosine(4.0, 0.0, 0, 8);
        assertEquals(4.0, schedule.lr(0));
        // progress 2/8: 4·0.5·(1 + cos(π/4)) = 2·1.70710678… = 3.41421356…
        assertEquals(3.414213562373095, schedule.lr(2), 1e-12);
        assertEquals(2.0, schedule.lr(4), 1e-12);
        assertEquals(0.0, schedule.lr(8), 1e-12);
    }

    @Test
    void argumentsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.constant(-1));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.linearWarmup(1, -1));
        var minAbovePeak = assertThrows(IllegalArgumentException.class, () -> LrSchedule.cosine(1, 2, 0, 10));
        assertEquals("minLr 2.0 exceeds peakLr 1.0", minAbovePeak.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.cosine(1, 0, 11, 10));
        var step = assertThrows(IllegalArgumentException.class, () -> LrSchedule.constant(1).lr(-1));
        assertEquals("step must be >= 0, got -1", step.getMessage());
    }
}
