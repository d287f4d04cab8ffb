package dev.mixtape.engine.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.mixtape.engine.quant.BlockBytes.f16;
import static dev.mixtape.engine.quant.BlockBytes.i8;

/**
 * The bytes of eight consecutive Q8_0 blocks of a row rearranged for the decoding kernels, not a
 * ggml format: 256 elements in 272 bytes (8 × 34, the same bytes), the eight f16 scales {@code d_j}
 * first, then the signed bytes in eight runs of 32, run {@code c} holding elements {@code 4c .. 4c + 3}
 * of each block: {@code q_j[k]} (element {@code 32j + k}) at {@code 16 + 32·(k / 4) + 4j + k % 4}.
 * A run read as eight little-endian ints holds block j's four elements in int j, so shifts give
 * element k of the eight blocks in eight int lanes, which the kernel multiplies by x's elements
 * {@code 32j + k} (x rearranged once per product) and sums each block in its own lane, then scales
 * the eight sums by one vector of the eight scales: one conversion of scales per 256 elements instead
 * of one per 32, and one 32-byte load per 32 weights. Element {@code 32j + k} is
 * {@code q_j[k]·d_j}, as {@link BlockFormats#Q8_0} decodes it. Held only in memory ({@link #interleave}).
 */
public final class InterleavedQ8_0Format implements BlockFormat {
    /** The Q8_0 blocks in one block of this format. */
    public static final int GROUP = 8;
    /** Where the bytes start, after the eight scales. */
    public static final int QUANTS = 2 * GROUP;
    /** The bytes of one run: four elements of each block. */
    public static final int RUN = 32;
    private static final int RUN_ELEMENTS = RUN / GROUP;
    private static final int SIZE = GROUP * Q8_0Format.SIZE;
    private static final int BYTES = GROUP * Q8_0Format.BYTES;

    InterleavedQ8_0Format() {
    }

    @Override
    public String name() {
        return "Q8_0x8";
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
        if (src.heapBase().orElse(null) instanceof byte[] bytes) {
            dequantizeBlock(bytes, Math.toIntExact(src.address() + offset), dst, dstOff);
            return;
        }
        for (int j = 0; j < GROUP; j++) {
            float d = f16(src, offset + 2L * j);
            for (int k = 0; k < Q8_0Format.SIZE; k++) {
                dst[dstOff + j * Q8_0Format.SIZE + k] = i8(src, offset + quantOffset(j, k)) * d;
            }
        }
    }

    /** {@link #dequantizeBlock(MemorySegment, long, float[], int)} from a heap array, without a bounds check per byte. */
    private static void dequantizeBlock(byte[] bytes, int at, float[] dst, int dstOff) {
        for (int j = 0; j < GROUP; j++) {
            float d = Float.float16ToFloat((short) (bytes[at + 2 * j] & 0xFF | bytes[at + 2 * j + 1] << 8));
            for (int k = 0; k < Q8_0Format.SIZE; k++) {
                dst[dstOff + j * Q8_0Format.SIZE + k] = bytes[at + quantOffset(j, k)] * d;
            }
        }
    }

    /** Where element k of block j lies in a block of this format. */
    private static int quantOffset(int j, int k) {
        return QUANTS + RUN * (k / RUN_ELEMENTS) + RUN_ELEMENTS * j + k % RUN_ELEMENTS;
    }

    /**
     * Whether {@code matrix} is Q8_0 with rows of whole groups of eight blocks and finite scales, which
     * {@link #interleave} takes: the decoding kernels widen scales without the cases of infinities and
     * NaNs, which no quantiser writes; a matrix that has one keeps its blocks, whose kernels widen
     * every half exactly.
     */
    public static boolean fits(QuantizedMatrix matrix) {
        return matrix.format() == BlockFormats.Q8_0 && matrix.cols() % SIZE == 0
                && BlockBytes.leadingHalvesFinite(matrix.blocks(), Q8_0Format.BYTES);
    }

    /** The same bytes as {@code q8_0} (which must {@link #fits fit}) rearranged into this format, in a new heap array. */
    public static QuantizedMatrix interleave(QuantizedMatrix q8_0) {
        if (!fits(q8_0)) {
            throw new IllegalArgumentException("a " + q8_0.format().name() + " matrix of rows of " + q8_0.cols()
                    + " is not Q8_0 in whole groups of " + SIZE + " elements with finite scales");
        }
        MemorySegment src = q8_0.blocks();
        byte[] dst = new byte[Math.toIntExact(src.byteSize())];
        long groups = src.byteSize() / BYTES;
        for (long g = 0; g < groups; g++) {
            int out = Math.toIntExact(g * BYTES);
            for (int j = 0; j < GROUP; j++) {
                long block = g * BYTES + (long) j * Q8_0Format.BYTES;
                dst[out + 2 * j] = src.get(ValueLayout.JAVA_BYTE, block);
                dst[out + 2 * j + 1] = src.get(ValueLayout.JAVA_BYTE, block + 1);
                for (int k = 0; k < Q8_0Format.SIZE; k++) {
                    dst[out + quantOffset(j, k)] = src.get(ValueLayout.JAVA_BYTE, block + 2 + k);
                }
            }
        }
        return new QuantizedMatrix(BlockFormats.Q8_0_BY_8, q8_0.rows(), q8_0.cols(), MemorySegment.ofArray(dst));
    }
}
