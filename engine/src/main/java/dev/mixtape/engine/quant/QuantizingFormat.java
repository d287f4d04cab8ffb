package dev.mixtape.engine.quant;

import java.lang.foreign.MemorySegment;

/**
 * A {@link BlockFormat} Mixtape can also write: quantising floats into its blocks with the arithmetic
 * of ggml's reference quantiser ({@code quantize_row_*_ref}), so that the bytes are those ggml (and
 * the {@code gguf} Python package) would write for the same floats.
 */
public interface QuantizingFormat extends BlockFormat {
    /**
     * Encodes {@code src[srcOff .. srcOff + blockSize())} as the block that starts at byte
     * {@code offset} of {@code dst}.
     */
    void quantizeBlock(float[] src, int srcOff, MemorySegment dst, long offset);

    /** Encodes {@code src[srcOff .. srcOff + count)}, a whole number of blocks, into a new heap segment. */
    default MemorySegment quantize(float[] src, int srcOff, int count) {
        MemorySegment dst = MemorySegment.ofArray(new byte[Math.toIntExact(bytesFor(count))]);
        int size = blockSize();
        for (int block = 0; block < count / size; block++) {
            quantizeBlock(src, srcOff + block * size, dst, (long) block * blockBytes());
        }
        return dst;
    }
}
