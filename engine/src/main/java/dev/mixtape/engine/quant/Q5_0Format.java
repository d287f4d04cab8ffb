package dev.mixtape.engine.quant;

import java.lang.foreign.MemorySegment;

import static dev.mixtape.engine.quant.BlockBytes.f16;
import static dev.mixtape.engine.quant.BlockBytes.u32;
import static dev.mixtape.engine.quant.BlockBytes.u8;

/**
 * Q5_0: 32 elements in 22 bytes, an f16 scale {@code d}, a little-endian 32-bit word {@code qh} of
 * fifth bits, then 16 bytes of nibbles laid out as in Q4_0. Element {@code j}'s 5-bit value is its
 * nibble with bit {@code j} of {@code qh} above it, and stands for {@code (q − 16)·d}.
 */
final class Q5_0Format implements BlockFormat {
    static final int SIZE = 32;
    static final int BYTES = 6 + SIZE / 2;

    @Override
    public String name() {
        return "Q5_0";
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
        int qh = u32(src, offset + 2);
        for (int j = 0; j < SIZE / 2; j++) {
            int packed = u8(src, offset + 6 + j);
            int low = (packed & 0x0F) | (qh >>> j & 1) << 4;
            int high = (packed >>> 4) | (qh >>> (j + SIZE / 2) & 1) << 4;
            dst[dstOff + j] = (low - 16) * d;
            dst[dstOff + j + SIZE / 2] = (high - 16) * d;
        }
    }
}
