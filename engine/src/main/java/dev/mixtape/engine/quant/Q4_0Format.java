package dev.mixtape.engine.quant;

import java.lang.foreign.MemorySegment;

import static dev.mixtape.engine.quant.BlockBytes.f16;
import static dev.mixtape.engine.quant.BlockBytes.putF16;
import static dev.mixtape.engine.quant.BlockBytes.putU8;
import static dev.mixtape.engine.quant.BlockBytes.u8;

/**
 * Q4_0: 32 elements in 18 bytes, an f16 scale {@code d} then 16 bytes of nibbles; byte {@code j}
 * holds element {@code j} in its low nibble and element {@code j + 16} in its high one, and a nibble
 * {@code q} stands for {@code (q − 8)·d}. Quantising takes the element of largest magnitude, signed,
 * as {@code −8·d}, so it is represented exactly and the other end of the range gets 7.
 */
final class Q4_0Format implements QuantizingFormat {
    static final int SIZE = 32;
    static final int BYTES = 2 + SIZE / 2;

    @Override
    public String name() {
        return "Q4_0";
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
        for (int j = 0; j < SIZE / 2; j++) {
            int packed = u8(src, offset + 2 + j);
            dst[dstOff + j] = ((packed & 0x0F) - 8) * d;
            dst[dstOff + j + SIZE / 2] = ((packed >>> 4) - 8) * d;
        }
    }

    @Override
    public void quantizeBlock(float[] src, int srcOff, MemorySegment dst, long offset) {
        float amax = 0;
        float max = 0;
        for (int j = 0; j < SIZE; j++) {
            float v = src[srcOff + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8;
        float id = d != 0 ? 1f / d : 0f;
        putF16(dst, offset, d);
        for (int j = 0; j < SIZE / 2; j++) {
            int low = nibble(src[srcOff + j] * id);
            int high = nibble(src[srcOff + j + SIZE / 2] * id);
            putU8(dst, offset + 2 + j, low | high << 4);
        }
    }

    /** {@code x/d + 8}, truncated as C's cast to int8 truncates, at most 15. */
    private static int nibble(float scaled) {
        return Math.min(15, (int) (scaled + 8.5f));
    }
}
