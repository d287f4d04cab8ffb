package dev.mixtape.engine.vector;

import dev.mixtape.engine.quant.QuantizedMatrix;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static dev.mixtape.engine.vector.BlockLanes.PARTS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * {@link QuantizedGemv} for Q6_K with the Vector API. In each half of a block, one load each of
 * {@code ql[l..]}, {@code ql[32 + l..]} and {@code qh[l..]} holds four runs of elements
 * ({@code l}, {@code l + 32}, {@code l + 64}, {@code l + 96}): their 6-bit values are assembled from
 * nibbles and bit pairs as bytes, recentred by −32, widened to floats, and summed against x per run
 * of 16, each sum then scaled by its own {@code d·scale}. In {@code x·Wᵀ} a row's blocks are read from
 * the heap array that holds them where they are in one ({@link HeapBlocks}), one row at a time (the
 * four runs' sums take the registers a second row would need). Loaded only when the Vector API is present.
 */
final class SimdQ6_KGemv implements QuantizedGemv {
    private static final VectorSpecies<Float> S = BlockLanes.FLOATS;
    private static final int SIZE = 256;
    private static final int QH = 128;
    private static final int SCALES = 192;
    private static final int D = 208;
    private static final int BYTES = 210;
    private static final int GROUP = 16;

    @Override
    public void timesTransposed(int m, float[] x, int xOff, int ldx, QuantizedMatrix w, float[] y, int yOff, int ldy,
                                boolean accumulate, int fromRow, int toRow) {
        HeapBlocks heap = HeapBlocks.of(w.blocks());
        for (int r = fromRow; r < toRow; r++) {
            for (int i = 0; i < m; i++) {
                float dot = heap == null ? dot(w.blocks(), w.blockOffset(r, 0), w.blocksPerRow(), x, xOff + i * ldx)
                        : dot(heap.bytes(), heap.base() + (int) w.blockOffset(r, 0), w.blocksPerRow(), x, xOff + i * ldx);
                int at = yOff + i * ldy + r;
                y[at] = accumulate ? y[at] + dot : dot;
            }
        }
    }

    /** {@link #dot(MemorySegment, long, int, float[], int)} for blocks in a heap array, whose loads C2 compiles to tighter code. */
    private static float dot(byte[] q, int row, int blockCount, float[] x, int xRow) {
        FloatVector total = FloatVector.zero(S);
        int lanes = S.length();
        for (int b = 0; b < blockCount; b++) {
            int at = row + b * BYTES;
            float d = BlockLanes.half(q, at + D);
            for (int half = 0; half < 2; half++) {
                for (int group = 0; group < 2; group++) {
                    FloatVector run0 = FloatVector.zero(S);
                    FloatVector run1 = run0;
                    FloatVector run2 = run0;
                    FloatVector run3 = run0;
                    for (int c = 0; c < GROUP; c += BlockLanes.BYTES.length()) {
                        int l = group * GROUP + c;
                        ByteVector first = BlockLanes.load(q, at + 64 * half + l);
                        ByteVector second = BlockLanes.load(q, at + 64 * half + 32 + l);
                        ByteVector high = BlockLanes.load(q, at + QH + 32 * half + l);
                        ByteVector q0 = assemble(BlockLanes.lowNibbles(first), high, 0);
                        ByteVector q1 = assemble(BlockLanes.lowNibbles(second), high, 2);
                        ByteVector q2 = assemble(BlockLanes.highNibbles(first), high, 4);
                        ByteVector q3 = assemble(BlockLanes.highNibbles(second), high, 6);
                        for (int part = 0; part < PARTS; part++) {
                            int xAt = xRow + b * SIZE + 128 * half + l + part * lanes;
                            run0 = BlockLanes.widen(q0, part).fma(FloatVector.fromArray(S, x, xAt), run0);
                            run1 = BlockLanes.widen(q1, part).fma(FloatVector.fromArray(S, x, xAt + 32), run1);
                            run2 = BlockLanes.widen(q2, part).fma(FloatVector.fromArray(S, x, xAt + 64), run2);
                            run3 = BlockLanes.widen(q3, part).fma(FloatVector.fromArray(S, x, xAt + 96), run3);
                        }
                    }
                    int scales = at + SCALES + 8 * half + group;
                    total = run0.fma(FloatVector.broadcast(S, d * q[scales]), total);
                    total = run1.fma(FloatVector.broadcast(S, d * q[scales + 2]), total);
                    total = run2.fma(FloatVector.broadcast(S, d * q[scales + 4]), total);
                    total = run3.fma(FloatVector.broadcast(S, d * q[scales + 6]), total);
                }
            }
        }
        return SimdMath.sumLanes(total);
    }

    private static float dot(MemorySegment blocks, long row, int blockCount, float[] x, int xRow) {
        FloatVector total = FloatVector.zero(S);
        int lanes = S.length();
        for (int b = 0; b < blockCount; b++) {
            long at = row + (long) b * BYTES;
            float d = BlockLanes.half(blocks, at + D);
            for (int half = 0; half < 2; half++) {
                for (int group = 0; group < 2; group++) {
                    FloatVector run0 = FloatVector.zero(S);
                    FloatVector run1 = run0;
                    FloatVector run2 = run0;
                    FloatVector run3 = run0;
                    for (int c = 0; c < GROUP; c += BlockLanes.BYTES.length()) {
                        int l = group * GROUP + c;
                        ByteVector first = BlockLanes.load(blocks, at + 64L * half + l);
                        ByteVector second = BlockLanes.load(blocks, at + 64L * half + 32 + l);
                        ByteVector high = BlockLanes.load(blocks, at + QH + 32L * half + l);
                        ByteVector q0 = assemble(BlockLanes.lowNibbles(first), high, 0);
                        ByteVector q1 = assemble(BlockLanes.lowNibbles(second), high, 2);
                        ByteVector q2 = assemble(BlockLanes.highNibbles(first), high, 4);
                        ByteVector q3 = assemble(BlockLanes.highNibbles(second), high, 6);
                        for (int part = 0; part < PARTS; part++) {
                            int xAt = xRow + b * SIZE + 128 * half + l + part * lanes;
                            run0 = BlockLanes.widen(q0, part).fma(FloatVector.fromArray(S, x, xAt), run0);
                            run1 = BlockLanes.widen(q1, part).fma(FloatVector.fromArray(S, x, xAt + 32), run1);
                            run2 = BlockLanes.widen(q2, part).fma(FloatVector.fromArray(S, x, xAt + 64), run2);
                            run3 = BlockLanes.widen(q3, part).fma(FloatVector.fromArray(S, x, xAt + 96), run3);
                        }
                    }
                    long scales = at + SCALES + 8L * half + group;
                    total = run0.fma(FloatVector.broadcast(S, d * blocks.get(JAVA_BYTE, scales)), total);
                    total = run1.fma(FloatVector.broadcast(S, d * blocks.get(JAVA_BYTE, scales + 2)), total);
                    total = run2.fma(FloatVector.broadcast(S, d * blocks.get(JAVA_BYTE, scales + 4)), total);
                    total = run3.fma(FloatVector.broadcast(S, d * blocks.get(JAVA_BYTE, scales + 6)), total);
                }
            }
        }
        return SimdMath.sumLanes(total);
    }

    /** The signed 6-bit values: {@code nibbles} with bits {@code shift, shift+1} of {@code high} above them, minus 32. */
    private static ByteVector assemble(ByteVector nibbles, ByteVector high, int shift) {
        ByteVector top = high.lanewise(VectorOperators.LSHR, shift).and((byte) 3).lanewise(VectorOperators.LSHL, 4);
        return nibbles.or(top).sub((byte) 32);
    }

    @Override
    public void times(int m, float[] dy, int dyOff, int lddy, QuantizedMatrix w, float[] dx, int dxOff, int lddx,
                      boolean accumulate, int fromBlock, int toBlock) {
        if (!accumulate) {
            for (int i = 0; i < m; i++) {
                Arrays.fill(dx, dxOff + i * lddx + fromBlock * SIZE, dxOff + i * lddx + toBlock * SIZE, 0f);
            }
        }
        MemorySegment blocks = w.blocks();
        int lanes = S.length();
        for (int r = 0; r < w.rows(); r++) {
            for (int b = fromBlock; b < toBlock; b++) {
                long at = w.blockOffset(r, b);
                float d = BlockLanes.half(blocks, at + D);
                for (int half = 0; half < 2; half++) {
                    for (int group = 0; group < 2; group++) {
                        long scales = at + SCALES + 8L * half + group;
                        float scale0 = d * blocks.get(JAVA_BYTE, scales);
                        float scale1 = d * blocks.get(JAVA_BYTE, scales + 2);
                        float scale2 = d * blocks.get(JAVA_BYTE, scales + 4);
                        float scale3 = d * blocks.get(JAVA_BYTE, scales + 6);
                        for (int c = 0; c < GROUP; c += BlockLanes.BYTES.length()) {
                            int l = group * GROUP + c;
                            ByteVector first = BlockLanes.load(blocks, at + 64L * half + l);
                            ByteVector second = BlockLanes.load(blocks, at + 64L * half + 32 + l);
                            ByteVector high = BlockLanes.load(blocks, at + QH + 32L * half + l);
                            ByteVector q0 = assemble(BlockLanes.lowNibbles(first), high, 0);
                            ByteVector q1 = assemble(BlockLanes.lowNibbles(second), high, 2);
                            ByteVector q2 = assemble(BlockLanes.highNibbles(first), high, 4);
                            ByteVector q3 = assemble(BlockLanes.highNibbles(second), high, 6);
                            for (int part = 0; part < PARTS; part++) {
                                int column = b * SIZE + 128 * half + l + part * lanes;
                                FloatVector w0 = BlockLanes.widen(q0, part).mul(scale0);
                                FloatVector w1 = BlockLanes.widen(q1, part).mul(scale1);
                                FloatVector w2 = BlockLanes.widen(q2, part).mul(scale2);
                                FloatVector w3 = BlockLanes.widen(q3, part).mul(scale3);
                                for (int i = 0; i < m; i++) {
                                    FloatVector g = FloatVector.broadcast(S, dy[dyOff + i * lddy + r]);
                                    int out = dxOff + i * lddx + column;
                                    w0.fma(g, FloatVector.fromArray(S, dx, out)).intoArray(dx, out);
                                    w1.fma(g, FloatVector.fromArray(S, dx, out + 32)).intoArray(dx, out + 32);
                                    w2.fma(g, FloatVector.fromArray(S, dx, out + 64)).intoArray(dx, out + 64);
                                    w3.fma(g, FloatVector.fromArray(S, dx, out + 96)).intoArray(dx, out + 96);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
