package dev.mixtape.engine.quant;

import java.lang.foreign.MemorySegment;

import static dev.mixtape.engine.quant.BlockBytes.f16;
import static dev.mixtape.engine.quant.BlockBytes.u32;
import static dev.mixtape.engine.quant.BlockBytes.u8;

/**
 * Q5_1: 32 elements in 24 bytes, an f16 scale {@code d}, an f16 offset {@code m}, a 32-bit word
 * {@code qh} of fifth bits, then 16 bytes of nibbles, the 5-bit values built as in Q5_0; a value
 * {@code q} stands for {@code q·d + m}.
 */
final class Q5_1Format implements BlockFormat {
    static final int SIZE = 32;
    static final int BYTES = 8 + SIZE / 2;

    @Override
    public String name() {
        return "Q5_1";
    }

    @Override
    public int blockSize() {
        return SIZE;
    }

    @Override
    public int blockBytes() {
        return BYTES;
    }

    @Override
    public void dequantizeBlock(MemorySegment src, long offset, float[] dst, int dstOff) {
        float d = f16(src, offset);
        float m = f16(src, offset + 2);
        int qh = u32(src, offset + 4);
        for (int j = 0; j < SIZE / 2; j++) {
            int packed = u8(src, offset + 8 + j);
            int low = (packed & 0x0F) | (qh >>> j & 1) << 4;
            int high = (packed >>> 4) | (qh >>> (j + SIZE / 2) & 1) << 4;
            dst[dstOff + j] = low * d + m;
            dst[dstOff + j + SIZE / 2] = high * d + m;
        }
    }
}
