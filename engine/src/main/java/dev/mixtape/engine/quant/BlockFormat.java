package dev.mixtape.engine.quant;

import java.lang.foreign.MemorySegment;

/**
 * One of ggml's block-quantised formats: a tensor's elements, in storage order, cut into blocks of
 * {@link #blockSize()} elements, each stored in {@link #blockBytes()} bytes holding its own scale(s)
 * and packed integers. The layouts are exactly ggml's, byte for byte, so blocks read from a GGUF file
 * are used as they are; {@link BlockFormats} lists the ones Mixtape knows.
 *
 * <p>Dequantising does the float arithmetic ggml's reference dequantiser does, in the same order, so
 * the floats are bit for bit those of ggml (and of the {@code gguf} Python package).
 */
public interface BlockFormat {
    /** ggml's name of the format, e.g. {@code Q4_K}. */
    String name();

    /** How many elements one block holds. */
    int blockSize();

    /** How many bytes one block takes. */
    int blockBytes();

    /**
     * Decodes the block that starts at byte {@code offset} of {@code src} into
     * {@code dst[dstOff .. dstOff + blockSize())}.
     */
    void dequantizeBlock(MemorySegment src, long offset, float[] dst, int dstOff);

    /** The bytes {@code elements} elements take; {@code elements} must be a whole number of blocks. */
    default long bytesFor(long elements) {
        if (elements % blockSize() != 0) {
            throw new IllegalArgumentException(elements + " elements are not a whole number of " + name()
                    + " blocks of " + blockSize());
        }
        return Math.multiplyExact(elements / blockSize(), (long) blockBytes());
    }

    /**
     * Decodes the first {@code count} elements of {@code src}, a whole number of blocks, into
     * {@code dst[dstOff .. dstOff + count)}.
     */
    default void dequantize(MemorySegment src, float[] dst, int dstOff, int count) {
        long bytes = bytesFor(count);
        if (src.byteSize() < bytes) {
            throw new IllegalArgumentException(count + " " + name() + " elements need " + bytes + " bytes, but there are "
                    + src.byteSize());
        }
        int size = blockSize();
        int blockBytes = blockBytes();
        for (int block = 0; block < count / size; block++) {
            dequantizeBlock(src, (long) block * blockBytes, dst, dstOff + block * size);
        }
    }
}
