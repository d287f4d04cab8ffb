package dev.mixtape.models.llama;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link RopePermutation#metaRow}, by which the llama2.c reader copies q and k rows straight from the
 * file in HF's order, names for every row the very row that {@link RopePermutation#metaToHf} moves
 * there, for several head counts and sizes (an off-by-one between the halves, or heads mixed up, fails).
 */
class RopePermutationTest {
    @Test
    void metaRowAgreesWithThePermutationOfWholeMatrices() {
        for (int[] shape : new int[][] {{1, 2}, {2, 4}, {3, 8}, {6, 48}, {4, 64}}) {
            int heads = shape[0];
            int headDim = shape[1];
            int rows = heads * headDim;
            float[] rowNumbers = new float[rows * 2];
            for (int row = 0; row < rows; row++) {
                rowNumbers[2 * row] = row;
                rowNumbers[2 * row + 1] = -row;
            }
            float[] hf = RopePermutation.metaToHf(rowNumbers, heads, headDim, 2);
            for (int row = 0; row < rows; row++) {
                assertEquals(hf[2 * row], RopePermutation.metaRow(row, headDim), heads + "×" + headDim + " row " + row);
            }
        }
    }
}
