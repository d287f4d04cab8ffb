package dev.mixtape.engine.vector;

import dev.mixtape.engine.quant.BlockFormat;
import dev.mixtape.engine.quant.BlockFormats;
import dev.mixtape.engine.quant.QuantizedMatrix;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Packs blocks of a {@link QuantizedMatrix} into the B slivers {@link PanelPacking#packSlivers}
 * writes, decoding the blocks on the way, so that {@link Sgemm}'s micro-kernels multiply by a
 * quantised weight without a float copy of the whole matrix: only the panel being packed is ever
 * in floats. Both products a frozen weight takes part in are covered: {@code x·Wᵀ} (the forward
 * pass, B = Wᵀ, slivers of W's rows) and {@code dY·W} (the gradient to the input, B = W, slivers of
 * W's columns). The packed floats are exactly those of packing the dequantised matrix. Q8_0 and
 * Q4_0 blocks in a heap array ({@link HeapBlocks}) are decoded here in plain loops over the array,
 * each byte read once; other formats and blocks elsewhere by their {@link BlockFormat}, whose reads
 * through the segment check every byte's bounds (Q8_0 has twice as many as Q4_0 per element).
 */
final class QuantizedPanelPacking {
    private static final VarHandle HALF = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private QuantizedPanelPacking() {
    }

    /** The length of the decoding buffer the methods need for a span of {@code span} elements of a row. */
    static int bufferLength(QuantizedMatrix w, int span) {
        return span + 2 * w.format().blockSize();
    }

    /**
     * For {@code C = X·Wᵀ}: packs rows {@code [row0, row0 + rows)} and columns
     * {@code [col0, col0 + depth)} of W as slivers of {@code width} rows,
     * {@code dst[dstOff + s·depth·width + p·width + j] = W(row0 + s·width + j, col0 + p)}, the last
     * sliver zero-padded. {@code buffer} holds at least {@link #bufferLength}{@code (w, depth)} floats.
     */
    static void packRowSlivers(QuantizedMatrix w, int row0, int rows, int col0, int depth, int width,
                               float[] dst, int dstOff, float[] buffer) {
        int sliverSize = depth * width;
        for (int r = 0; r < rows; r++) {
            int shift = decode(w, row0 + r, col0, depth, buffer);
            int out = dstOff + r / width * sliverSize + r % width;
            for (int p = 0; p < depth; p++) {
                dst[out + p * width] = buffer[shift + p];
            }
        }
        int tail = rows % width;
        if (tail > 0) {
            int out = dstOff + rows / width * sliverSize;
            for (int p = 0; p < depth; p++) {
                Arrays.fill(dst, out + p * width + tail, out + (p + 1) * width, 0f);
            }
        }
    }

    /**
     * For {@code C = dY·W}: packs columns {@code [col0, col0 + cols)} and rows
     * {@code [row0, row0 + depth)} of W as slivers of {@code width} columns,
     * {@code dst[dstOff + s·depth·width + p·width + j] = W(row0 + p, col0 + s·width + j)}, the last
     * sliver zero-padded. {@code buffer} holds at least {@link #bufferLength}{@code (w, cols)} floats.
     */
    static void packColumnSlivers(QuantizedMatrix w, int col0, int cols, int row0, int depth, int width,
                                  float[] dst, int dstOff, float[] buffer) {
        int sliverSize = depth * width;
        int slivers = (cols + width - 1) / width;
        for (int p = 0; p < depth; p++) {
            int shift = decode(w, row0 + p, col0, cols, buffer);
            for (int s = 0; s < slivers; s++) {
                int from = s * width;
                int count = Math.min(width, cols - from);
                int out = dstOff + s * sliverSize + p * width;
                System.arraycopy(buffer, shift + from, dst, out, count);
                Arrays.fill(dst, out + count, out + width, 0f);
            }
        }
    }

    /**
     * Decodes the blocks of row {@code row} that cover columns {@code [col0, col0 + span)} into
     * {@code buffer} from index 0, and returns where column {@code col0} landed.
     */
    private static int decode(QuantizedMatrix w, int row, int col0, int span, float[] buffer) {
        BlockFormat format = w.format();
        int size = format.blockSize();
        int first = col0 / size;
        int last = (col0 + span - 1) / size;
        HeapBlocks heap = format == BlockFormats.Q8_0 || format == BlockFormats.Q4_0 ? HeapBlocks.of(w.blocks()) : null;
        for (int b = first; b <= last; b++) {
            int out = (b - first) * size;
            if (heap == null) {
                format.dequantizeBlock(w.blocks(), w.blockOffset(row, b), buffer, out);
            } else if (format == BlockFormats.Q8_0) {
                decodeQ8_0(heap.bytes(), heap.base() + (int) w.blockOffset(row, b), buffer, out);
            } else {
                decodeQ4_0(heap.bytes(), heap.base() + (int) w.blockOffset(row, b), buffer, out);
            }
        }
        return col0 - first * size;
    }

    /** A Q8_0 block at {@code at} of {@code bytes} into {@code dst[dstOff..]}: {@code q·d}, as {@link BlockFormats#Q8_0} decodes it. */
    private static void decodeQ8_0(byte[] bytes, int at, float[] dst, int dstOff) {
        float d = Float.float16ToFloat((short) HALF.get(bytes, at));
        for (int j = 0; j < 32; j++) {
            dst[dstOff + j] = bytes[at + 2 + j] * d;
        }
    }

    /** A Q4_0 block at {@code at} of {@code bytes} into {@code dst[dstOff..]}: {@code (nibble − 8)·d}, as {@link BlockFormats#Q4_0} decodes it. */
    private static void decodeQ4_0(byte[] bytes, int at, float[] dst, int dstOff) {
        float d = Float.float16ToFloat((short) HALF.get(bytes, at));
        for (int j = 0; j < 16; j++) {
            int packed = bytes[at + 2 + j] & 0xFF;
            dst[dstOff + j] = ((packed & 0x0F) - 8) * d;
            dst[dstOff + j + 16] = ((packed >>> 4) - 8) * d;
        }
    }
}
