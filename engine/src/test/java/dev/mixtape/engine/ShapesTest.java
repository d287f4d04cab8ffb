package dev.mixtape.engine;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Batch and row strides of stacks of matrices, which let matmul read slices of a KV cache in place
 * and write a range of columns of a larger matrix.
 */
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

    @Test
    void matrixRowStrideOfDenseMatricesAndRangesOfColumns() {
        assertEquals(4, Shapes.matrixRowStride(new int[] {2, 3, 4}, new int[] {12, 4, 1}));
        assertEquals(10, Shapes.matrixRowStride(new int[] {3, 4}, new int[] {10, 1}));
        assertEquals(-1, Shapes.matrixRowStride(new int[] {3, 4}, new int[] {1, 3}));
        assertEquals(-1, Shapes.matrixRowStride(new int[] {3, 4}, new int[] {2, 1}));
        assertEquals(4, Shapes.matrixRowStride(new int[] {1, 4}, new int[] {0, 1}));
        assertEquals(30, Shapes.matrixBatchStride(new int[] {2, 3, 4}, new int[] {30, 10, 1}));
        assertEquals(-1, Shapes.matrixBatchStride(new int[] {2, 3, 4}, new int[] {30, 2, 1}));
    }
}
