package dev.mixtape.spark;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * How local SGD's driver averages the partitions' adapters and optimizer states: by their predicted
 * tokens (one partition with three times the tokens of the other weighs three times as much, which an
 * unweighted mean would miss), with an optimizer's step counts taken as the largest, never averaged.
 */
class SparkLocalStepsTest {

    @Test
    void partitionsAreWeightedByTheirTokensAndStepCountsAreNotAveraged() {
        NamedArrays first = new NamedArrays(new String[] {"a", "state.0.step"}, new int[][] {{2}, {}}, new float[][] {{1, 10}, {4}});
        NamedArrays second = new NamedArrays(new String[] {"a", "state.0.step"}, new int[][] {{2}, {}}, new float[][] {{5, 2}, {4}});

        NamedArrays averaged = SparkLocalSteps.average(List.of(first, second), new double[] {1, 3});

        assertArrayEquals(new float[] {4, 4}, averaged.values()[0]);
        assertArrayEquals(new float[] {4}, averaged.values()[1]);
        assertEquals(List.of("a", "state.0.step"), List.of(averaged.names()));
    }

    @Test
    void partitionsThatEndWithDifferentTensorsAreRefused() {
        NamedArrays first = new NamedArrays(new String[] {"a"}, new int[][] {{1}}, new float[][] {{1}});
        NamedArrays second = new NamedArrays(new String[] {"b"}, new int[][] {{1}}, new float[][] {{1}});

        IllegalStateException error = assertThrows(IllegalStateException.class, () -> SparkLocalSteps.average(List.of(first, second), new double[] {1, 1}));
        assertEquals("partitions 0 and 1 of a round end with different tensors: a vs b", error.getMessage());
    }
}
