package dev.mixtape.engine.quant;

import java.lang.foreign.MemorySegment;

import static dev.mixtape.engine.quant.BlockBytes.u8;

/**
 * The 12 bytes in which Q4_K and Q5_K blocks keep eight 6-bit scales and eight 6-bit minimums, one
 * pair per sub-block of 32. Bytes 0–3 hold scales 0–3 in their low six bits, bytes 4–7 minimums 0–3;
 * scales and minimums 4–7 take their low four bits from the low and high nibbles of bytes 8–11 and
 * their top two bits from the spare top bits of bytes 0–3 (scales) and 4–7 (minimums).
 */
public final class PackedScales {
    /** The bytes the scales take in a block. */
    public static final int BYTES = 12;

    private PackedScales() {
    }

    /** The scale of sub-block {@code j} (0 to 7), from the 12 bytes at {@code offset}. */
    public static int scale(MemorySegment src, long offset, int j) {
        if (j < 4) {
            return u8(src, offset + j) & 0x3F;
        }
        return (u8(src, offset + j + 4) & 0x0F) | (u8(src, offset + j - 4) >>> 6) << 4;
    }

    /** The scale of sub-block {@code j} (0 to 7), from the 12 bytes at {@code offset} of a heap array. */
    public static int scale(byte[] src, int offset, int j) {
        if (j < 4) {
            return src[offset + j] & 0x3F;
        }
        return (src[offset + j + 4] & 0x0F) | ((src[offset + j - 4] & 0xFF) >>> 6) << 4;
    }

    /** The minimum of sub-block {@code j} (0 to 7), from the 12 bytes at {@code offset} of a heap array. */
    public static int min(byte[] src, int offset, int j) {
        if (j < 4) {
            return src[offset + j + 4] & 0x3F;
        }
        return ((src[offset + j + 4] & 0xFF) >>> 4) | ((src[offset + j] & 0xFF) >>> 6) << 4;
    }

    /** The minimum of sub-block {@code j} (0 to 7), from the 12 bytes at {@code offset}. */
    public static int min(MemorySegment src, long offset, int j) {
        if (j < 4) {
            return u8(src, offset + j + 4) & 0x3F;
        }
        return (u8(src, offset + j + 4) >>> 4) | (u8(src, offset + j) >>> 6) << 4;
    }
}
