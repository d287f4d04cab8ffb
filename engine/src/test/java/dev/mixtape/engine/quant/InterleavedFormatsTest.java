package dev.mixtape.engine.quant;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Interleaving Q8_0 and Q4_0 for the decoding kernels keeps every element and every byte: the interleaved
 * matrix decodes to the original matrix's floats bit for bit and takes the same bytes, and each byte
 * lands where the layout says (so a kernel written against the documented layout reads the right
 * element). A byte moved to the wrong place, or a scale paired with the wrong block, changes some
 * decoded value.
 */
class InterleavedFormatsTest {

    @Test
    void interleavedMatrixDecodesToTheSameFloatsInTheSameBytes() {
        SplittableRandom random = new SplittableRandom(5);
        int rows = 3;
        int cols = 512;
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        QuantizedMatrix q8_0 = QuantizedMatrix.quantize(BlockFormats.Q8_0, values, rows, cols);
        QuantizedMatrix interleaved = InterleavedQ8_0Format.interleave(q8_0);

        assertEquals(BlockFormats.Q8_0_BY_8, interleaved.format());
        assertEquals(q8_0.byteSize(), interleaved.byteSize());
        assertArrayEquals(q8_0.dequantize(), interleaved.dequantize());
        for (int r = 0; r < rows; r++) {
            float[] row = new float[cols];
            interleaved.dequantizeRow(r, row, 0);
            float[] expected = new float[cols];
            q8_0.dequantizeRow(r, expected, 0);
            assertArrayEquals(expected, row, "row " + r);
        }
    }

    /** Element k of block j of a group sits at {@code 16 + 32·(k / 4) + 4j + k % 4}; block j's scale at {@code 2j}. */
    @Test
    void bytesLandWhereTheLayoutSays() {
        byte[] bytes = new byte[8 * 34];
        for (int j = 0; j < 8; j++) {
            bytes[34 * j] = (byte) (100 + j);
            bytes[34 * j + 1] = (byte) (110 + j);
            for (int k = 0; k < 32; k++) {
                bytes[34 * j + 2 + k] = (byte) (32 * j + k);
            }
        }
        QuantizedMatrix q8_0 = new QuantizedMatrix(BlockFormats.Q8_0, 1, 256, MemorySegment.ofArray(bytes));
        MemorySegment interleaved = InterleavedQ8_0Format.interleave(q8_0).blocks();
        for (int j = 0; j < 8; j++) {
            assertEquals((byte) (100 + j), interleaved.get(ValueLayout.JAVA_BYTE, 2L * j));
            assertEquals((byte) (110 + j), interleaved.get(ValueLayout.JAVA_BYTE, 2L * j + 1));
            for (int k = 0; k < 32; k++) {
                long at = 16 + 32L * (k / 4) + 4L * j + k % 4;
                assertEquals((byte) (32 * j + k), interleaved.get(ValueLayout.JAVA_BYTE, at), "block " + j + " element " + k);
            }
        }
    }

    @Test
    void interleavedQ4_0DecodesToTheSameFloatsInTheSameBytes() {
        SplittableRandom random = new SplittableRandom(6);
        int rows = 3;
        int cols = 768;
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        QuantizedMatrix q4_0 = QuantizedMatrix.quantize(BlockFormats.Q4_0, values, rows, cols);
        QuantizedMatrix interleaved = InterleavedQ4_0Format.interleave(q4_0);

        assertEquals(BlockFormats.Q4_0_BY_8, interleaved.format());
        assertEquals(q4_0.byteSize(), interleaved.byteSize());
        assertArrayEquals(q4_0.dequantize(), interleaved.dequantize());
    }

    /**
     * Q4_0 element k of block j, nibble q, sits in nibble {@code k % 8} of the int at
     * {@code 16 + 32·(k / 8) + 4j} as {@code q ^ 8}, the 4-bit two's complement of {@code q − 8}.
     */
    @Test
    void q4_0NibblesLandWhereTheLayoutSays() {
        byte[] bytes = new byte[8 * 18];
        SplittableRandom random = new SplittableRandom(7);
        random.nextBytes(bytes);
        QuantizedMatrix q4_0 = new QuantizedMatrix(BlockFormats.Q4_0, 1, 256, MemorySegment.ofArray(bytes));
        MemorySegment interleaved = InterleavedQ4_0Format.interleave(q4_0).blocks();
        for (int j = 0; j < 8; j++) {
            assertEquals(bytes[18 * j], interleaved.get(ValueLayout.JAVA_BYTE, 2L * j));
            assertEquals(bytes[18 * j + 1], interleaved.get(ValueLayout.JAVA_BYTE, 2L * j + 1));
            for (int k = 0; k < 32; k++) {
                int packed = bytes[18 * j + 2 + k % 16] & 0xFF;
                int nibble = k < 16 ? packed & 0x0F : packed >>> 4;
                int word = interleaved.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
                        16 + 32L * (k / 8) + 4L * j);
                int stored = word >>> (4 * (k % 8)) & 0x0F;
                assertEquals(nibble ^ 8, stored, "block " + j + " element " + k);
            }
        }
    }

    @Test
    void onlyQ8_0InWholeGroupsOfEightBlocksIsInterleaved() {
        assertTrue(InterleavedQ8_0Format.fits(QuantizedMatrix.quantize(BlockFormats.Q8_0, new float[2 * 768], 2, 768)));
        QuantizedMatrix rowsOf288 = QuantizedMatrix.quantize(BlockFormats.Q8_0, new float[2 * 288], 2, 288);
        QuantizedMatrix q4_0 = QuantizedMatrix.quantize(BlockFormats.Q4_0, new float[2 * 256], 2, 256);
        assertFalse(InterleavedQ8_0Format.fits(rowsOf288));
        assertFalse(InterleavedQ8_0Format.fits(q4_0));
        assertThrows(IllegalArgumentException.class, () -> InterleavedQ8_0Format.interleave(rowsOf288));
        assertThrows(IllegalArgumentException.class, () -> InterleavedQ8_0Format.interleave(q4_0));
        assertTrue(InterleavedQ4_0Format.fits(q4_0));
        assertFalse(InterleavedQ4_0Format.fits(QuantizedMatrix.quantize(BlockFormats.Q4_0, new float[2 * 288], 2, 288)));
    }

    /** The kernels widen finite scales only: one infinite or NaN scale in the last block keeps a matrix as blocks. */
    @Test
    void aMatrixWithANonFiniteScaleIsNotInterleaved() {
        for (short scale : new short[] {(short) 0x7C00, (short) 0xFC00, (short) 0x7E00, (short) 0xFD01}) {
            QuantizedMatrix q8_0 = withLastScale(QuantizedMatrix.quantize(BlockFormats.Q8_0, new float[2 * 512], 2, 512), scale);
            QuantizedMatrix q4_0 = withLastScale(QuantizedMatrix.quantize(BlockFormats.Q4_0, new float[2 * 512], 2, 512), scale);
            assertFalse(InterleavedQ8_0Format.fits(q8_0), "scale 0x" + Integer.toHexString(scale & 0xFFFF));
            assertFalse(InterleavedQ4_0Format.fits(q4_0), "scale 0x" + Integer.toHexString(scale & 0xFFFF));
            assertThrows(IllegalArgumentException.class, () -> InterleavedQ8_0Format.interleave(q8_0));
            assertThrows(IllegalArgumentException.class, () -> InterleavedQ4_0Format.interleave(q4_0));
        }
        QuantizedMatrix largestFinite = withLastScale(QuantizedMatrix.quantize(BlockFormats.Q8_0, new float[2 * 512], 2, 512), (short) 0xFBFF);
        assertTrue(InterleavedQ8_0Format.fits(largestFinite));
    }

    /** {@code matrix} with the scale of its last block replaced by {@code half}, in a new array. */
    private static QuantizedMatrix withLastScale(QuantizedMatrix matrix, short half) {
        byte[] bytes = matrix.blocks().toArray(ValueLayout.JAVA_BYTE);
        int last = bytes.length - matrix.format().blockBytes();
        bytes[last] = (byte) half;
        bytes[last + 1] = (byte) (half >> 8);
        return new QuantizedMatrix(matrix.format(), matrix.rows(), matrix.cols(), MemorySegment.ofArray(bytes));
    }
}
