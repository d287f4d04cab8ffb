package dev.mixtape.models.gguf;

import dev.mixtape.engine.quant.BlockFormat;

import java.lang.foreign.MemorySegment;

import static dev.mixtape.models.gguf.GgufCursor.F32;
import static dev.mixtape.models.gguf.GgufCursor.U16;

/**
 * Turns a tensor's raw bytes into floats, for the types Mixtape reads: F32; F16 (IEEE half); BF16 (the
 * top 16 bits of an f32); and the block formats of {@link dev.mixtape.engine.quant.BlockFormats}
 * (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K), decoded bit for bit as ggml decodes them.
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
            default -> {
                BlockFormat format = type.blockFormat();
                if (format == null) {
                    throw new IllegalArgumentException("no dequantiser for " + type);
                }
                format.dequantize(bytes, out, 0, count);
            }
        }
    }
}
