package dev.mixtape.engine.vector;

import dev.mixtape.engine.quant.BlockFormat;
import dev.mixtape.engine.quant.BlockFormats;
import dev.mixtape.engine.quant.QuantizedMatrix;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Packing a quantised matrix's panels gives exactly the floats {@link PanelPacking#packSlivers}
 * gives for the dequantised matrix, for both products a weight takes part in (W's rows as slivers for
 * {@code x·Wᵀ}, its columns for {@code dY·W}), with panels that start and end inside blocks and a last
 * sliver that needs zero padding; the destination is prefilled with NaN so that an element left
 * unwritten fails too.
 */
class QuantizedPanelPackingTest {
    private final MicroKernel kernel = VectorSupport.available() ? new SimdMicroKernel() : new ScalarMicroKernel();

    @ParameterizedTest(name = "{0} rows {1}+{2}, cols {3}+{4}")
    @CsvSource({"Q8_0, 3, 21, 40, 70", "Q4_0, 0, 19, 0, 96", "Q4_K, 2, 9, 100, 300", "Q6_K, 1, 7, 250, 10",
            "Q5_1, 5, 16, 33, 31"})
    void packedPanelsEqualThoseOfTheDequantisedMatrix(String name, int row0, int rows, int col0, int depth) {
        BlockFormat format = BlockFormats.named(name);
        int totalRows = row0 + rows + 2;
        int cols = ((col0 + depth) / format.blockSize() + 1) * format.blockSize();
        QuantizedMatrix w = QuantizedTestMatrices.random(format, totalRows, cols, new SplittableRandom(rows));
        float[] dense = w.dequantize();
        int width = kernel.cols();
        int slivers = (rows + width - 1) / width;

        float[] expected = new float[slivers * depth * width];
        PanelPacking.packSlivers(new StridedMatrix("W", dense, 0, 0, cols, 1), 0, row0, rows, col0, depth, kernel, expected, 0);
        float[] actual = new float[expected.length + 3];
        Arrays.fill(actual, Float.NaN);
        float[] buffer = new float[QuantizedPanelPacking.bufferLength(w, depth)];
        QuantizedPanelPacking.packRowSlivers(w, row0, rows, col0, depth, width, actual, 3, buffer);
        assertArrayEquals(expected, Arrays.copyOfRange(actual, 3, actual.length), name + " rows as slivers (x·Wᵀ)");

        // dY·W: bT = Wᵀ; its rows are W's columns [col0, col0 + depth), its depth W's rows [row0, row0 + rows)
        int columnSlivers = (depth + width - 1) / width;
        float[] expectedColumns = new float[columnSlivers * rows * width];
        PanelPacking.packSlivers(new StridedMatrix("Wt", dense, 0, 0, 1, cols), 0, col0, depth, row0, rows, kernel,
                expectedColumns, 0);
        float[] actualColumns = new float[expectedColumns.length];
        Arrays.fill(actualColumns, Float.NaN);
        float[] columnBuffer = new float[QuantizedPanelPacking.bufferLength(w, depth)];
        QuantizedPanelPacking.packColumnSlivers(w, col0, depth, row0, rows, width, actualColumns, 0, columnBuffer);
        assertArrayEquals(expectedColumns, actualColumns, name + " columns as slivers (dY·W)");
    }
}
