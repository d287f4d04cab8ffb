package dev.mixtape.engine.io;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The scan finds the first non-finite value wherever it lies, whatever the length, or none when there is none. */
class FiniteScanTest {

    @Test
    void findsTheFirstNonFiniteValueAtEveryPositionOfEveryLength() {
        for (int length = 0; length <= 70; length++) {
            float[] values = new float[length];
            Arrays.fill(values, Float.MAX_VALUE);
            assertEquals(-1, FiniteScan.firstNonFinite(values), "all finite, length " + length);
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                for (int at = 0; at < length; at++) {
                    float[] broken = values.clone();
                    broken[at] = bad;
                    if (at + 1 < length) {
                        broken[length - 1] = Float.NaN;
                    }
                    assertEquals(at, FiniteScan.firstNonFinite(broken), bad + " at " + at + " of " + length);
                }
            }
        }
    }
}
