package dev.mixtape.models.gguf;

import java.lang.foreign.MemorySegment;

import static dev.mixtape.models.gguf.GgufCursor.F32;
import static dev.mixtape.models.gguf.GgufCursor.U16;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * Turns a tensor's raw bytes into floats, for the types Mixtape reads:
 * <ul>
 * <li>F32; F16 (IEEE half); BF16 (the top 16 bits of an f32).</li>
 * <li>Q8_0: blocks of 32 elements, each an f16 scale {@code d} then 32 int8 {@code q}: value {@code q·d}.</li>
 * <li>Q4_0: blocks of 32 elements, each an f16 scale {@code d} then 16 bytes; byte {@code j} holds
 *     element {@code j} in its low nibble and element {@code j+16} in its high nibble, and a nibble
 *     {@code q} stands for {@code (q − 8)·d}.</li>
 * </ul>
 */
final class Dequantizer {
    private Dequantizer() {
    }

    /** Decodes {@code count} elements of {@code type} from {@code bytes} into {@code out}. */
    static void dequantize(GgmlType type, MemorySegment bytes, float[] out, int count) {
        switch (type) {
            case F32 -> MemorySegment.copy(bytes, F32, 0, out, 0, count);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    out[i] = Float.float16ToFloat(bytes.getAtIndex(U16, i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    out[i] = Float.intBitsToFloat(bytes.getAtIndex(U16, i) << 16);
                }
            }
            case Q8_0 -> q8_0(bytes, out, count);
            case Q4_0 -> q4_0(bytes, out, count);
            default -> throw new IllegalArgumentException("no dequantiser for " + type);
        }
    }

    private static void q8_0(MemorySegment bytes, float[] out, int count) {
        int blockSize = GgmlType.Q8_0.blockSize();
        for (int block = 0; block < count / blockSize; block++) {
            long base = (long) block * GgmlType.Q8_0.blockBytes();
            float scale = Float.float16ToFloat(bytes.get(U16, base));
            for (int j = 0; j < blockSize; j++) {
                out[block * blockSize + j] = bytes.get(JAVA_BYTE, base + 2 + j) * scale;
            }
        }
    }

    private static void q4_0(MemorySegment bytes, float[] out, int count) {
        int blockSize = GgmlType.Q4_0.blockSize();
        int half = blockSize / 2;
        for (int block = 0; block < count / blockSize; block++) {
            long base = (long) block * GgmlType.Q4_0.blockBytes();
            float scale = Float.float16ToFloat(bytes.get(U16, base));
            for (int j = 0; j < half; j++) {
                int packed = Byte.toUnsignedInt(bytes.get(JAVA_BYTE, base + 2 + j));
                out[block * blockSize + j] = ((packed & 0x0F) - 8) * scale;
                out[block * blockSize + j + half] = ((packed >>> 4) - 8) * scale;
            }
        }
    }
}
