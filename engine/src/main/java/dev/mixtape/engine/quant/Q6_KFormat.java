package dev.mixtape.engine.quant;

import java.lang.foreign.MemorySegment;

import static dev.mixtape.engine.quant.BlockBytes.f16;
import static dev.mixtape.engine.quant.BlockBytes.i8;
import static dev.mixtape.engine.quant.BlockBytes.u8;

/**
 * Q6_K: 256 elements in 210 bytes: 128 bytes {@code ql} of low nibbles, 64 bytes {@code qh} of high
 * bit pairs, 16 signed 8-bit scales (one per 16 elements), then the f16 super-scale {@code d} last.
 * Each half of 128 elements uses 64 bytes of {@code ql} and 32 of {@code qh}: element
 * {@code l + 32·g} (l &lt; 32, g &lt; 4) takes its low nibble from {@code ql[l + 32·(g mod 2)]} (the low
 * nibble for g &lt; 2, the high one after) and bits {@code 2g, 2g+1} of {@code qh[l]} above it; a
 * 6-bit {@code q} stands for {@code (d·scale)·(q − 32)}, the scale that of its 16 elements.
 */
final class Q6_KFormat implements BlockFormat {
    static final int SIZE = 256;
    static final int BYTES = SIZE / 2 + SIZE / 4 + SIZE / 16 + 2;
    private static final int QH = SIZE / 2;
    private static final int SCALES = QH + SIZE / 4;
    private static final int D = SCALES + SIZE / 16;

    @Override
    public String name() {
        return "Q6_K";
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
        float d = f16(src, offset + D);
        for (int half = 0; half < 2; half++) {
            long ql = offset + 64L * half;
            long qh = offset + QH + 32L * half;
            long scales = offset + SCALES + 8L * half;
            int out = dstOff + 128 * half;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int low = u8(src, ql + l);
                int next = u8(src, ql + l + 32);
                int bits = u8(src, qh + l);
                int q1 = ((low & 0x0F) | (bits & 3) << 4) - 32;
                int q2 = ((next & 0x0F) | (bits >>> 2 & 3) << 4) - 32;
                int q3 = ((low >>> 4) | (bits >>> 4 & 3) << 4) - 32;
                int q4 = ((next >>> 4) | (bits >>> 6 & 3) << 4) - 32;
                dst[out + l] = d * i8(src, scales + is) * q1;
                dst[out + l + 32] = d * i8(src, scales + is + 2) * q2;
                dst[out + l + 64] = d * i8(src, scales + is + 4) * q3;
                dst[out + l + 96] = d * i8(src, scales + is + 6) * q4;
            }
        }
    }
}
