package dev.mixtape.engine.vector;

import dev.mixtape.engine.quant.BlockFormat;
import dev.mixtape.engine.quant.BlockFormats;
import dev.mixtape.engine.quant.QuantizedMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The quantised products against dequantise-then-multiply in plain double loops, for every block
 * format through {@link QuantizedProducts} (the SIMD kernels of Q8_0 and Q4_0, interleaved or not, Q4_K, Q5_K and
 * Q6_K, the plain-loop kernel for the others) and for every format through the plain-loop kernel itself. Random blocks
 * exercise every nibble, high bit and scale; offsets, row lengths wider than the matrix, row and
 * block ranges that split the work, and accumulation are all exercised, so a lane or block read from
 * the wrong place, a sub-block given the wrong scale or minimum, or a range that writes outside itself
 * makes some output wrong. The build runs this again at the other vector width, where a load holds a
 * different number of elements.
 */
class QuantizedGemvTest {
    private static final String FORMATS = "Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K";

    @ParameterizedTest(name = "{0} m={1} rows={2} blocks/row={3}")
    @CsvSource({"Q8_0, 1, 37, 9", "Q8_0, 3, 11, 24", "Q8_0x8, 1, 37, 2", "Q8_0x8, 3, 11, 3", "Q8_0x8, 2, 3, 1",
            "Q4_0x8, 1, 37, 2", "Q4_0x8, 3, 11, 3", "Q4_0x8, 2, 3, 1",
            "Q4_0, 1, 37, 9", "Q4_0, 4, 11, 24", "Q4_K, 1, 13, 3", "Q4_K, 2, 7, 4", "Q4_K, 3, 37, 2", "Q4_1, 2, 9, 5", "Q5_0, 1, 9, 5", "Q5_1, 3, 9, 5", "Q5_K, 2, 5, 2", "Q5_K, 1, 13, 3",
            "Q5_K, 3, 37, 2", "Q6_K, 2, 5, 3", "Q6_K, 1, 9, 4"})
    void decodingProductMatchesDequantiseThenMultiply(String name, int m, int rows, int blocksPerRow) {
        BlockFormat format = QuantizedTestMatrices.format(name);
        for (QuantizedGemv kernel : new QuantizedGemv[] {QuantizedProducts.kernelFor(format), new ScalarQuantizedGemv()}) {
            SplittableRandom random = new SplittableRandom(rows * 31L + m);
            int cols = blocksPerRow * format.blockSize();
            QuantizedMatrix w = QuantizedTestMatrices.random(format, rows, cols, random);
            int ldx = cols + 5;
            float[] x = QuantizedTestMatrices.floats(3 + m * ldx, random);
            int ldy = rows + 2;
            float[] y = QuantizedTestMatrices.floats(1 + m * ldy, random);
            float[] before = y.clone();
            int split = rows / 3;
            kernel.timesTransposed(m, x, 3, ldx, w, y, 1, ldy, false, 0, split);
            kernel.timesTransposed(m, x, 3, ldx, w, y, 1, ldy, false, split, rows);
            float[] accumulated = before.clone();
            kernel.timesTransposed(m, x, 3, ldx, w, accumulated, 1, ldy, true, 0, rows);

            float[] weights = w.dequantize();
            for (int i = 0; i < m; i++) {
                for (int r = 0; r < rows; r++) {
                    double expected = 0;
                    double magnitude = 0;
                    for (int p = 0; p < cols; p++) {
                        double term = (double) weights[r * cols + p] * x[3 + i * ldx + p];
                        expected += term;
                        magnitude += Math.abs(term);
                    }
                    int at = 1 + i * ldy + r;
                    String cell = name + " " + kernel.getClass().getSimpleName() + " y[" + i + "," + r + "]";
                    assertEquals(expected, y[at], 1e-5 * magnitude + 1e-30, cell);
                    assertEquals(before[at] + expected, accumulated[at], 1e-5 * (magnitude + Math.abs(before[at])) + 1e-30, cell);
                }
                for (int pad = rows; pad < ldy; pad++) {
                    assertEquals(before[1 + i * ldy + pad], y[1 + i * ldy + pad], "padding outside the rows is untouched");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} m={1} rows={2} blocks/row={3}")
    @CsvSource({"Q8_0, 1, 37, 9", "Q8_0, 3, 11, 24", "Q8_0x8, 1, 9, 2", "Q8_0x8, 3, 5, 3", "Q4_0x8, 2, 7, 2", "Q4_0, 1, 37, 9",
            "Q4_0, 4, 11, 24", "Q4_K, 1, 13, 3", "Q4_K, 2, 7, 4", "Q4_1, 2, 9, 5", "Q5_0, 1, 9, 5", "Q5_1, 3, 9, 5", "Q5_K, 2, 5, 2", "Q6_K, 2, 5, 3", "Q6_K, 3, 9, 4"})
    void gradientToTheInputMatchesDequantiseThenMultiply(String name, int m, int rows, int blocksPerRow) {
        BlockFormat format = QuantizedTestMatrices.format(name);
        for (QuantizedGemv kernel : new QuantizedGemv[] {QuantizedProducts.kernelFor(format), new ScalarQuantizedGemv()}) {
            SplittableRandom random = new SplittableRandom(rows * 17L + m);
            int cols = blocksPerRow * format.blockSize();
            QuantizedMatrix w = QuantizedTestMatrices.random(format, rows, cols, random);
            int lddy = rows + 3;
            float[] dy = QuantizedTestMatrices.floats(2 + m * lddy, random);
            int lddx = cols + 7;
            float[] dx = QuantizedTestMatrices.floats(5 + m * lddx, random);
            float[] before = dx.clone();
            int split = blocksPerRow / 2;
            kernel.times(m, dy, 2, lddy, w, dx, 5, lddx, false, 0, split);
            kernel.times(m, dy, 2, lddy, w, dx, 5, lddx, false, split, blocksPerRow);
            float[] accumulated = before.clone();
            kernel.times(m, dy, 2, lddy, w, accumulated, 5, lddx, true, 0, blocksPerRow);

            float[] weights = w.dequantize();
            for (int i = 0; i < m; i++) {
                for (int c = 0; c < cols; c++) {
                    double expected = 0;
                    double magnitude = 0;
                    for (int r = 0; r < rows; r++) {
                        double term = (double) dy[2 + i * lddy + r] * weights[r * cols + c];
                        expected += term;
                        magnitude += Math.abs(term);
                    }
                    int at = 5 + i * lddx + c;
                    String cell = name + " " + kernel.getClass().getSimpleName() + " dx[" + i + "," + c + "]";
                    assertEquals(expected, dx[at], 1e-5 * magnitude + 1e-30, cell);
                    assertEquals(before[at] + expected, accumulated[at], 1e-5 * (magnitude + Math.abs(before[at])) + 1e-30, cell);
                }
                for (int pad = cols; pad < lddx; pad++) {
                    assertEquals(before[5 + i * lddx + pad], dx[5 + i * lddx + pad], "padding outside the columns is untouched");
                }
            }
        }
    }

    /**
     * The Q8_0, Q4_0, Q4_K, Q5_K and Q6_K decoding kernels read their blocks from the heap array behind the segment,
     * from where the segment starts in it; a segment elsewhere (native memory, as a file's mapping is)
     * takes the plain-loop kernel. Blocks placed 7 bytes into a larger array, with other blocks before
     * and after, and the same blocks in native memory give the dequantised product: a kernel that
     * read the array from its start, or that read native memory as an array, would not.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"Q8_0", "Q8_0x8", "Q4_0", "Q4_0x8", "Q4_K", "Q5_K", "Q6_K"})
    void blocksInsideALargerArrayOrOutsideTheHeapGiveTheSameProduct(String name) {
        BlockFormat format = QuantizedTestMatrices.format(name);
        SplittableRandom random = new SplittableRandom(17);
        int rows = 9;
        int cols = 3 * format.blockSize();
        QuantizedMatrix alone = QuantizedTestMatrices.random(format, rows, cols, random);
        QuantizedMatrix around = QuantizedTestMatrices.random(format, rows + 2, cols, random);
        byte[] larger = new byte[(int) around.byteSize() + 7];
        MemorySegment.copy(around.blocks(), 0, MemorySegment.ofArray(larger), 0, around.byteSize());
        MemorySegment inside = MemorySegment.ofArray(larger).asSlice(7, alone.byteSize());
        MemorySegment.copy(alone.blocks(), 0, inside, 0, alone.byteSize());
        float[] x = QuantizedTestMatrices.floats(cols, random);
        float[] weights = alone.dequantize();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment outside = arena.allocate(alone.byteSize());
            MemorySegment.copy(alone.blocks(), 0, outside, 0, alone.byteSize());
            for (MemorySegment blocks : new MemorySegment[] {inside, outside}) {
                float[] y = new float[rows];
                QuantizedProducts.timesTransposed(1, x, 0, cols, new QuantizedMatrix(format, rows, cols, blocks), y, 0, rows,
                        false, 0, rows);
                for (int r = 0; r < rows; r++) {
                    double expected = 0;
                    double magnitude = 0;
                    for (int p = 0; p < cols; p++) {
                        expected += (double) weights[r * cols + p] * x[p];
                        magnitude += Math.abs((double) weights[r * cols + p] * x[p]);
                    }
                    assertEquals(expected, y[r], 1e-5 * magnitude + 1e-30, name + (blocks.isNative() ? " native" : " inside") + " y[" + r + "]");
                }
            }
        }
    }

    /** With the Vector API, the formats of quantised GGUFs in common use (Q4_K_M: Q4_K and Q6_K; Q5_K_M: Q5_K and Q6_K) run on SIMD kernels. */
    @Test
    void q8_0Q4_0Q4_KQ5_KAndQ6_KHaveSimdKernels() {
        if (VectorSupport.available()) {
            for (BlockFormat format : new BlockFormat[] {BlockFormats.Q8_0, BlockFormats.Q4_0, BlockFormats.Q4_K, BlockFormats.Q5_K,
                    BlockFormats.Q6_K}) {
                assertTrue(QuantizedProducts.hasSimdKernel(format), format.name());
            }
            assertTrue(QuantizedProducts.hasSimdKernel(BlockFormats.Q8_0_BY_8), "interleaved Q8_0");
            assertTrue(QuantizedProducts.hasSimdKernel(BlockFormats.Q4_0_BY_8), "interleaved Q4_0");
        }
        assertEquals(FORMATS.split(", ").length, BlockFormats.ALL.size(), "every format is tested above");
    }
}
