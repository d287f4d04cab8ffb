package dev.mixtape.engine.quant;

import java.lang.foreign.MemorySegment;

import static dev.mixtape.engine.quant.BlockBytes.f16;
import static dev.mixtape.engine.quant.BlockBytes.u8;

/**
 * Q4_K: 256 elements in 144 bytes, as eight sub-blocks of 32: an f16 super-scale {@code d}, an f16
 * super-minimum {@code dmin}, the 12 {@link PackedScales} bytes (a 6-bit scale {@code sc} and minimum
 * {@code mn} per sub-block), then 128 bytes of nibbles. The nibbles come in four runs of 32 bytes;
 * run {@code r}'s low nibbles are sub-block {@code 2r}, its high nibbles sub-block {@code 2r + 1}. A
 * nibble {@code q} of sub-block {@code s} stands for {@code (d·sc)·q − dmin·mn}.
 */
final class Q4_KFormat implements BlockFormat {
    static final int SIZE = 256;
    static final int BYTES = 4 + PackedScales.BYTES + SIZE / 2;
    private static final int QS = 4 + PackedScales.BYTES;

    @Override
    public String name() {
        return "Q4_K";
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
            float d1 = d * PackedScales.scale(src, scales, 2 * run);
            float m1 = dmin * PackedScales.min(src, scales, 2 * run);
            float d2 = d * PackedScales.scale(src, scales, 2 * run + 1);
            float m2 = dmin * PackedScales.min(src, scales, 2 * run + 1);
            long qs = offset + QS + 32L * run;
            int out = dstOff + 64 * run;
            for (int l = 0; l < 32; l++) {
                int packed = u8(src, qs + l);
                dst[out + l] = d1 * (packed & 0x0F) - m1;
                dst[out + 32 + l] = d2 * (packed >>> 4) - m2;
            }
        }
    }
}
