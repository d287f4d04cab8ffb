package dev.mixtape.engine.vector;

import dev.mixtape.engine.quant.BlockFormat;
import dev.mixtape.engine.quant.BlockFormats;
import dev.mixtape.engine.quant.InterleavedQ4_0Format;
import dev.mixtape.engine.quant.InterleavedQ8_0Format;
import dev.mixtape.engine.quant.QuantizedMatrix;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random quantised matrices for the kernel tests: blocks of random bytes, every bit pattern of the
 * packed integers and scales, with finite random f16 values where the format keeps its f16 fields.
 */
final class QuantizedTestMatrices {
    /** Byte offsets of each format's f16 fields inside a block. */
    private static final Map<BlockFormat, int[]> HALVES = Map.of(
            BlockFormats.Q8_0, new int[] {0}, BlockFormats.Q4_0, new int[] {0}, BlockFormats.Q4_1, new int[] {0, 2},
            BlockFormats.Q5_0, new int[] {0}, BlockFormats.Q5_1, new int[] {0, 2}, BlockFormats.Q4_K, new int[] {0, 2},
            BlockFormats.Q5_K, new int[] {0, 2}, BlockFormats.Q6_K, new int[] {208});
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private QuantizedTestMatrices() {
    }

    /**
     * A {@code rows × cols} matrix of random blocks of {@code format}; for the interleaved Q8_0 and
     * Q4_0 of the decoding kernels, random Q8_0 or Q4_0 blocks interleaved.
     */
    static QuantizedMatrix random(BlockFormat format, int rows, int cols, SplittableRandom random) {
        if (format == BlockFormats.Q8_0_BY_8) {
            return InterleavedQ8_0Format.interleave(random(BlockFormats.Q8_0, rows, cols, random));
        }
        if (format == BlockFormats.Q4_0_BY_8) {
            return InterleavedQ4_0Format.interleave(random(BlockFormats.Q4_0, rows, cols, random));
        }
        int blocks = rows * cols / format.blockSize();
        byte[] bytes = new byte[blocks * format.blockBytes()];
        random.nextBytes(bytes);
        MemorySegment segment = MemorySegment.ofArray(bytes);
        for (int b = 0; b < blocks; b++) {
            for (int at : HALVES.get(format)) {
                float scale = (float) (random.nextGaussian() * 0.01);
                segment.set(HALF, (long) b * format.blockBytes() + at, Float.floatToFloat16(scale));
            }
        }
        return new QuantizedMatrix(format, rows, cols, segment);
    }

    /** The format {@code name} names: one of {@link BlockFormats#ALL}, or {@code Q8_0x8} or {@code Q4_0x8}, interleaved for decoding. */
    static BlockFormat format(String name) {
        for (BlockFormat interleaved : new BlockFormat[] {BlockFormats.Q8_0_BY_8, BlockFormats.Q4_0_BY_8}) {
            if (interleaved.name().equals(name)) {
                return interleaved;
            }
        }
        return BlockFormats.named(name);
    }

    /** Random floats in [-1, 1). */
    static float[] floats(int n, SplittableRandom random) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (2 * random.nextDouble() - 1);
        }
        return values;
    }
}
