package dev.mixtape.engine;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Batch strides of stacks of matrices, which let matmul read slices of a KV cache in place. */
class ShapesTest {

    @Test
    void matrixBatchStrideOfDenseAndSlicedStacks() {
        assertEquals(12, Shapes.matrixBatchStride(new int[] {2, 3, 4}, new int[] {12, 4, 1}));
        assertEquals(20, Shapes.matrixBatchStride(new int[] {1, 6, 3, 4}, new int[] {120, 20, 4, 1}));
        assertEquals(12, Shapes.matrixBatchStride(new int[] {3, 4}, new int[] {4, 1}));
        assertEquals(-1, Shapes.matrixBatchStride(new int[] {2, 3, 4}, new int[] {12, 1, 3}));
        assertEquals(-1, Shapes.matrixBatchStride(new int[] {2, 3, 3, 4}, new int[] {100, 20, 4, 1}));
        assertEquals(60, Shapes.matrixBatchStride(new int[] {2, 3, 3, 4}, new int[] {180, 60, 4, 1}));
    }
}
