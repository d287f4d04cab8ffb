package dev.mixtape.engine.quant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every block format against ggml's reference as the {@code gguf} Python package implements it
 * ({@code make_blocks.py} wrote the fixtures). Blocks of random bytes dequantise to exactly gguf's
 * floats, bit for bit: every field's position, every bit's place and the order of the float
 * operations are checked, since a nibble swapped, a scale read from the wrong byte or {@code d·(sc·q)}
 * for {@code (d·sc)·q} changes some of the 256 values of some of the 24 blocks. Blocks gguf quantised
 * from corner-case floats (zeros, ties, f16 underflow and overflow) also dequantise exactly, and the
 * Q8_0 and Q4_0 quantisers write gguf's bytes for the same floats (rounding halves away from zero,
 * the signed extreme as −8·d).
 */
class BlockFormatsTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void randomBlocksDequantiseExactlyAsGgufDoes(String name) {
        assertDequantisesTo(BlockFormats.named(name), "random");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"})
    void quantisedBlocksDequantiseExactlyAsGgufDoes(String name) {
        assertDequantisesTo(BlockFormats.named(name), "quantized");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Q8_0", "Q4_0"})
    void quantisingWritesGgufsBytes(String name) {
        QuantizingFormat format = (QuantizingFormat) BlockFormats.named(name);
        String prefix = name.toLowerCase(Locale.ROOT);
        float[] input = BlockFixtures.floats(prefix + ".input.f32");
        byte[] expected = BlockFixtures.bytes(prefix + ".quantized.blocks").toArray(ValueLayout.JAVA_BYTE);
        byte[] actual = format.quantize(input, 0, input.length).toArray(ValueLayout.JAVA_BYTE);
        for (int block = 0; block < expected.length / format.blockBytes(); block++) {
            int from = block * format.blockBytes();
            assertArrayEquals(Arrays.copyOfRange(expected, from, from + format.blockBytes()),
                    Arrays.copyOfRange(actual, from, from + format.blockBytes()), name + " block " + block);
        }
        assertEquals(expected.length, actual.length);
    }

    @Test
    void everyFormatIsFoundByItsNameAndUnknownNamesAreNot() {
        for (BlockFormat format : BlockFormats.ALL) {
            assertEquals(format, BlockFormats.named(format.name()));
        }
        assertEquals(8, BlockFormats.ALL.size());
        assertNull(BlockFormats.named("Q2_K"));
    }

    private static void assertDequantisesTo(BlockFormat format, String kind) {
        String prefix = format.name().toLowerCase(Locale.ROOT) + "." + kind;
        MemorySegment blocks = BlockFixtures.bytes(prefix + ".blocks");
        float[] expected = BlockFixtures.floats(prefix + ".f32");
        assertEquals(expected.length / format.blockSize() * format.blockBytes(), blocks.byteSize(), "fixture size");
        float[] actual = new float[expected.length + 3];
        format.dequantize(blocks, actual, 3, expected.length);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[3 + i])) {
                fail(format.name() + " " + kind + " block " + i / format.blockSize() + " element " + i % format.blockSize()
                        + ": expected " + expected[i] + ", got " + actual[3 + i]);
            }
        }
    }
}
