package dev.mixtape.engine.quant;

import java.lang.foreign.MemorySegment;

import static dev.mixtape.engine.quant.BlockBytes.f16;
import static dev.mixtape.engine.quant.BlockBytes.u8;

/**
 * Q4_1: 32 elements in 20 bytes, an f16 scale {@code d}, an f16 offset {@code m}, then 16 bytes of
 * nibbles laid out as in Q4_0 (byte {@code j}: element {@code j} low, {@code j + 16} high); a nibble
 * {@code q} stands for {@code q·d + m}.
 */
final class Q4_1Format implements BlockFormat {
    static final int SIZE = 32;
    static final int BYTES = 4 + SIZE / 2;

    @Override
    public String name() {
        return "Q4_1";
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
        for (int j = 0; j < SIZE / 2; j++) {
            int packed = u8(src, offset + 4 + j);
            dst[dstOff + j] = (packed & 0x0F) * d + m;
            dst[dstOff + j + SIZE / 2] = (packed >>> 4) * d + m;
        }
    }
}
