package dev.mixtape.engine.quant;

import java.lang.foreign.MemorySegment;

import static dev.mixtape.engine.quant.BlockBytes.f16;
import static dev.mixtape.engine.quant.BlockBytes.i8;
import static dev.mixtape.engine.quant.BlockBytes.putF16;
import static dev.mixtape.engine.quant.BlockBytes.putU8;

/**
 * Q8_0: 32 elements in 34 bytes, an f16 scale {@code d} then 32 signed bytes {@code q}; element
 * {@code j} is {@code q[j]·d}. Quantising takes {@code d = max|x| / 127} and rounds {@code x / d} half
 * away from zero.
 */
final class Q8_0Format implements QuantizingFormat {
    static final int SIZE = 32;
    static final int BYTES = 2 + SIZE;

    @Override
    public String name() {
        return "Q8_0";
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
        for (int j = 0; j < SIZE; j++) {
            dst[dstOff + j] = i8(src, offset + 2 + j) * d;
        }
    }

    @Override
    public void quantizeBlock(float[] src, int srcOff, MemorySegment dst, long offset) {
        float amax = 0;
        for (int j = 0; j < SIZE; j++) {
            amax = Math.max(amax, Math.abs(src[srcOff + j]));
        }
        float d = amax / 127;
        float id = d != 0 ? 1f / d : 0f;
        putF16(dst, offset, d);
        for (int j = 0; j < SIZE; j++) {
            putU8(dst, offset + 2 + j, (int) roundHalfAwayFromZero(src[srcOff + j] * id));
        }
    }

    /** C's {@code roundf}: the nearest integer, halves away from zero (computed in double, where +0.5 is exact). */
    static double roundHalfAwayFromZero(float x) {
        return Math.copySign(Math.floor(Math.abs((double) x) + 0.5), x);
    }
}
