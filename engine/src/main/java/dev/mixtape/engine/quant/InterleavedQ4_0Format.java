package dev.mixtape.engine.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.mixtape.engine.quant.BlockBytes.f16;
import static dev.mixtape.engine.quant.BlockBytes.u8;

/**
 * The bytes of eight consecutive Q4_0 blocks of a row rearranged for the decoding kernels, as
 * {@link InterleavedQ8_0Format} rearranges Q8_0; not a ggml format: 256 elements in 144 bytes (8 × 18,
 * as many bytes), the eight f16 scales {@code d_j} first, then the nibbles in four runs of 32 bytes,
 * run {@code c} holding elements {@code 8c .. 8c + 7} of each block: element {@code 32j + k} in nibble
 * {@code k % 8} (from the lowest) of the little-endian int at {@code 16 + 32·(k / 8) + 4j}, and with its
 * top bit flipped, so that the nibble read as a signed 4-bit integer is {@code q − 8}, the value
 * Q4_0 multiplies by the scale. A run read as eight ints gives element k of the eight blocks in eight
 * lanes with two shifts. Element {@code 32j + k} is {@code (q_j[k] − 8)·d_j}, as {@link BlockFormats#Q4_0}
 * decodes it. Held only in memory ({@link #interleave}).
 */
public final class InterleavedQ4_0Format implements BlockFormat {
    /** The Q4_0 blocks in one block of this format. */
    public static final int GROUP = 8;
    /** Where the nibbles start, after the eight scales. */
    public static final int QUANTS = 2 * GROUP;
    /** The bytes of one run: eight elements of each block. */
    public static final int RUN = 32;
    private static final int RUN_ELEMENTS = 2 * RUN / GROUP;
    private static final int SIZE = GROUP * Q4_0Format.SIZE;
    private static final int BYTES = GROUP * Q4_0Format.BYTES;
    /** Flips the top bit of both nibbles of a byte: a nibble q becomes the 4-bit two's complement of q − 8. */
    private static final int FLIP = 0x88;

    InterleavedQ4_0Format() {
    }

    @Override
    public String name() {
        return "Q4_0x8";
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
            for (int k = 0; k < Q4_0Format.SIZE; k++) {
                dst[dstOff + j * Q4_0Format.SIZE + k] = (nibble(u8(src, offset + quantOffset(j, k)), k) - 8) * d;
            }
        }
    }

    /** {@link #dequantizeBlock(MemorySegment, long, float[], int)} from a heap array, without a bounds check per byte. */
    private static void dequantizeBlock(byte[] bytes, int at, float[] dst, int dstOff) {
        for (int j = 0; j < GROUP; j++) {
            float d = Float.float16ToFloat((short) (bytes[at + 2 * j] & 0xFF | bytes[at + 2 * j + 1] << 8));
            for (int k = 0; k < Q4_0Format.SIZE; k++) {
                dst[dstOff + j * Q4_0Format.SIZE + k] = (nibble(bytes[at + quantOffset(j, k)] & 0xFF, k) - 8) * d;
            }
        }
    }

    /** Element k's nibble, 0 to 15 as Q4_0 stores it, of the byte {@code packed} that holds it here. */
    private static int nibble(int packed, int k) {
        int flipped = packed ^ FLIP;
        return k % 2 == 0 ? flipped & 0x0F : flipped >>> 4;
    }

    /** The byte that holds element k of block j in a block of this format (its nibble: {@code k % 2}). */
    private static int quantOffset(int j, int k) {
        return QUANTS + RUN * (k / RUN_ELEMENTS) + 4 * j + k % RUN_ELEMENTS / 2;
    }

    /**
     * Whether {@code matrix} is Q4_0 with rows of whole groups of eight blocks and finite scales, which
     * {@link #interleave} takes: the decoding kernels widen scales without the cases of infinities and
     * NaNs, which no quantiser writes; a matrix that has one keeps its blocks, whose kernels widen
     * every half exactly.
     */
    public static boolean fits(QuantizedMatrix matrix) {
        return matrix.format() == BlockFormats.Q4_0 && matrix.cols() % SIZE == 0
                && BlockBytes.leadingHalvesFinite(matrix.blocks(), Q4_0Format.BYTES);
    }

    /** The bytes of {@code q4_0} (which must {@link #fits fit}) rearranged into this format, in a new heap array. */
    public static QuantizedMatrix interleave(QuantizedMatrix q4_0) {
        if (!fits(q4_0)) {
            throw new IllegalArgumentException("a " + q4_0.format().name() + " matrix of rows of " + q4_0.cols()
                    + " is not Q4_0 in whole groups of " + SIZE + " elements with finite scales");
        }
        MemorySegment src = q4_0.blocks();
        byte[] dst = new byte[Math.toIntExact(src.byteSize())];
        long groups = src.byteSize() / BYTES;
        for (long g = 0; g < groups; g++) {
            int out = Math.toIntExact(g * BYTES);
            for (int j = 0; j < GROUP; j++) {
                long block = g * BYTES + (long) j * Q4_0Format.BYTES;
                dst[out + 2 * j] = src.get(ValueLayout.JAVA_BYTE, block);
                dst[out + 2 * j + 1] = src.get(ValueLayout.JAVA_BYTE, block + 1);
                for (int k = 0; k < Q4_0Format.SIZE; k++) {
                    int packed = u8(src, block + 2 + k % (Q4_0Format.SIZE / 2));
                    int nibble = k < Q4_0Format.SIZE / 2 ? packed & 0x0F : packed >>> 4;
                    dst[out + quantOffset(j, k)] |= (byte) (nibble << (4 * (k % 2)));
                }
            }
            for (int at = out + QUANTS; at < out + BYTES; at++) {
                dst[at] ^= (byte) FLIP;
            }
        }
        return new QuantizedMatrix(BlockFormats.Q4_0_BY_8, q4_0.rows(), q4_0.cols(), MemorySegment.ofArray(dst));
    }
}
