package dev.mixtape.engine.quant;

import java.lang.foreign.MemorySegment;

/**
 * A frozen weight matrix kept in a block format: {@code rows × cols} elements, row-major (an
 * {@code nn.Linear} weight {@code [out, in]}), each row a whole number of blocks, the blocks of row
 * {@code r} at bytes {@code r·rowBytes() ..} of {@link #blocks()}. The segment may be a GGUF file's
 * mapping, native memory or a heap array; it is only read. This is what a quantised weight costs in
 * memory: {@link #byteSize()} bytes, about 1.06 bytes per element in Q8_0 and 0.56 in Q4_0 and Q4_K.
 *
 * @param format the block format
 * @param rows   the number of rows
 * @param cols   the row length, a multiple of the format's block size
 * @param blocks the blocks, {@code rows · cols / blockSize} of them
 */
public record QuantizedMatrix(BlockFormat format, int rows, int cols, MemorySegment blocks) {

    /** Checks that the rows are whole blocks and that the segment holds all of them. */
    public QuantizedMatrix {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("a " + format.name() + " matrix cannot be " + rows + " × " + cols);
        }
        if (cols % format.blockSize() != 0) {
            throw new IllegalArgumentException("a " + format.name() + " matrix needs rows of whole blocks of "
                    + format.blockSize() + " elements, not " + cols);
        }
        long needed = Math.multiplyExact((long) rows, (long) cols / format.blockSize() * format.blockBytes());
        if (blocks.byteSize() != needed) {
            throw new IllegalArgumentException("a " + rows + " × " + cols + " " + format.name() + " matrix takes " + needed
                    + " bytes, not " + blocks.byteSize());
        }
    }

    /** Quantises a row-major {@code rows × cols} matrix of floats into a new heap-backed matrix. */
    public static QuantizedMatrix quantize(QuantizingFormat format, float[] values, int rows, int cols) {
        if (values.length != rows * cols) {
            throw new IllegalArgumentException(rows + " × " + cols + " elements expected, got " + values.length);
        }
        if (cols % format.blockSize() != 0) {
            throw new IllegalArgumentException("a " + format.name() + " matrix needs rows of whole blocks of "
                    + format.blockSize() + " elements, not " + cols);
        }
        return new QuantizedMatrix(format, rows, cols, format.quantize(values, 0, values.length));
    }

    /** The blocks in one row. */
    public int blocksPerRow() {
        return cols / format.blockSize();
    }

    /** The bytes one row takes. */
    public long rowBytes() {
        return (long) blocksPerRow() * format.blockBytes();
    }

    /** The bytes the whole matrix takes. */
    public long byteSize() {
        return blocks.byteSize();
    }

    /** Where block {@code block} of row {@code row} starts, in bytes from the start of {@link #blocks()}. */
    public long blockOffset(int row, int block) {
        return row * rowBytes() + (long) block * format.blockBytes();
    }

    /** Rows {@code [first, first + count)} as a matrix of their own, over the same blocks (no copy). */
    public QuantizedMatrix rowRange(int first, int count) {
        if (first < 0 || count < 0 || first > rows - count) {
            throw new IllegalArgumentException("rows [" + first + ", " + first + " + " + count + ") of a " + rows + "-row "
                    + format.name() + " matrix");
        }
        return new QuantizedMatrix(format, count, cols, blocks.asSlice(first * rowBytes(), count * rowBytes()));
    }

    /** Decodes row {@code row} into {@code dst[dstOff .. dstOff + cols)}. */
    public void dequantizeRow(int row, float[] dst, int dstOff) {
        int size = format.blockSize();
        for (int block = 0; block < blocksPerRow(); block++) {
            format.dequantizeBlock(blocks, blockOffset(row, block), dst, dstOff + block * size);
        }
    }

    /** The whole matrix as floats, row-major. */
    public float[] dequantize() {
        float[] values = new float[Math.multiplyExact(rows, cols)];
        for (int row = 0; row < rows; row++) {
            dequantizeRow(row, values, row * cols);
        }
        return values;
    }
}
