package dev.mixtape.engine.quant;

import java.lang.foreign.MemorySegment;

import static dev.mixtape.engine.quant.BlockBytes.f16;
import static dev.mixtape.engine.quant.BlockBytes.u8;

/**
 * Q5_K: 256 elements in 176 bytes: Q4_K's layout ({@code d}, {@code dmin}, 12 {@link PackedScales}
 * bytes, 128 bytes of nibbles) with 32 bytes {@code qh} of fifth bits between the scales and the
 * nibbles. Element {@code l} of sub-block {@code s} (0 to 31, 0 to 7) takes bit {@code s} of
 * {@code qh[l]} above its nibble; a 5-bit {@code q} stands for {@code (d·sc)·q − dmin·mn}.
 */
final class Q5_KFormat implements BlockFormat {
    static final int SIZE = 256;
    static final int BYTES = 4 + PackedScales.BYTES + SIZE / 8 + SIZE / 2;
    private static final int QH = 4 + PackedScales.BYTES;
    private static final int QS = QH + SIZE / 8;

    @Override
    public String name() {
        return "Q5_K";
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
        float dmin = f16(src, offset + 2);
        long scales = offset + 4;
        for (int run = 0; run < 4; run++) {
            int low = 2 * run;
            int high = low + 1;
            float d1 = d * PackedScales.scale(src, scales, low);
            float m1 = dmin * PackedScales.min(src, scales, low);
            float d2 = d * PackedScales.scale(src, scales, high);
            float m2 = dmin * PackedScales.min(src, scales, high);
            long qs = offset + QS + 32L * run;
            int out = dstOff + 64 * run;
            for (int l = 0; l < 32; l++) {
                int packed = u8(src, qs + l);
                int fifth = u8(src, offset + QH + l);
                dst[out + l] = d1 * ((packed & 0x0F) | (fifth >>> low & 1) << 4) - m1;
                dst[out + 32 + l] = d2 * ((packed >>> 4) | (fifth >>> high & 1) << 4) - m2;
            }
        }
    }
}
