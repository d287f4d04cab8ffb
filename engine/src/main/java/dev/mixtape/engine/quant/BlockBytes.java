package dev.mixtape.engine.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Reading and writing the little-endian fields of ggml blocks, which sit at any byte offset. */
final class BlockBytes {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A half's exponent bits: all ones for the infinities and NaNs. */
    private static final int HALF_EXPONENT = 0x7C00;

    private BlockBytes() {
    }

    /** The IEEE half at {@code offset}, widened to a float (exactly). */
    static float f16(MemorySegment src, long offset) {
        return Float.float16ToFloat(src.get(U16, offset));
    }

    /**
     * Whether the IEEE half that opens each block of {@code blockBytes} bytes in {@code blocks} (the
     * scale of Q8_0 and Q4_0) is finite: neither an infinity nor a NaN.
     */
    static boolean leadingHalvesFinite(MemorySegment blocks, int blockBytes) {
        for (long at = 0; at < blocks.byteSize(); at += blockBytes) {
            if ((blocks.get(U16, at) & HALF_EXPONENT) == HALF_EXPONENT) {
                return false;
            }
        }
        return true;
    }

    /** Writes {@code value} rounded to the nearest IEEE half (ties to even), as ggml's FP32_TO_FP16 does. */
    static void putF16(MemorySegment dst, long offset, float value) {
        dst.set(U16, offset, Float.floatToFloat16(value));
    }

    /** The unsigned byte at {@code offset}. */
    static int u8(MemorySegment src, long offset) {
        return Byte.toUnsignedInt(src.get(ValueLayout.JAVA_BYTE, offset));
    }

    /** The signed byte at {@code offset}. */
    static int i8(MemorySegment src, long offset) {
        return src.get(ValueLayout.JAVA_BYTE, offset);
    }

    /** The 32-bit little-endian word at {@code offset}. */
    static int u32(MemorySegment src, long offset) {
        return src.get(U32, offset);
    }

    /** Writes one byte. */
    static void putU8(MemorySegment dst, long offset, int value) {
        dst.set(ValueLayout.JAVA_BYTE, offset, (byte) value);
    }
}
