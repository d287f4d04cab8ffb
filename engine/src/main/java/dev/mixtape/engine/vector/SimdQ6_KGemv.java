package dev.mixtape.engine.vector;

import dev.mixtape.engine.quant.QuantizedMatrix;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static dev.mixtape.engine.vector.BlockLanes.PARTS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.nio.ByteOrder.LITTLE_ENDIAN;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;

/**
 * {@link QuantizedGemv} for Q6_K with the Vector API. In each half of a block, one load each of
 * {@code ql[l..]}, {@code ql[32 + l..]} and {@code qh[l..]} holds four runs of elements
 * ({@code l}, {@code l + 32}, {@code l + 64}, {@code l + 96}): their 6-bit values are assembled from
 * nibbles and bit pairs as bytes, recentred by −32, widened to floats, and summed against x per run
 * of 16, each sum then scaled by its own {@code d·scale}. In {@code x·Wᵀ} the bytes are widened to ints
 * first and the values assembled in int lanes, and a row's blocks are read from the heap array that
 * holds them ({@link HeapBlocks}; a matrix elsewhere, such as a file's mapping, is copied a row at a
 * time into a small array), one row at a time (the four runs' sums take the registers a second row
 * would need). Loaded only when the Vector API is present.
 */
final class SimdQ6_KGemv implements QuantizedGemv {
    private static final VectorSpecies<Float> S = BlockLanes.FLOATS;
    private static final VectorSpecies<Integer> INTS = BlockLanes.INTS;
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
        int rowBytes = (int) w.rowBytes();
        byte[] copy = heap == null ? new byte[rowBytes] : null;
        for (int r = fromRow; r < toRow; r++) {
            byte[] q = copy;
            int row = 0;
            if (heap == null) {
                MemorySegment.copy(w.blocks(), JAVA_BYTE, w.blockOffset(r, 0), copy, 0, rowBytes);
            } else {
                q = heap.bytes();
                row = heap.base() + r * rowBytes;
            }
            for (int i = 0; i < m; i++) {
                float dot = dot(q, row, w.blocksPerRow(), x, xOff + i * ldx);
                int at = yOff + i * ldy + r;
                y[at] = accumulate ? y[at] + dot : dot;
            }
        }
    }

    /**
     * One weight row (its blocks from {@code row} in {@code q}) against one activation row. The bytes
     * are widened to ints before the 6-bit values are assembled: masks and shifts of int lanes are
     * single instructions on x86, where byte lanes have no shift. Each group of 16 is read in two
     * passes: pass p takes {@code ql[32·p + l..]}, whose low nibbles are run p (elements
     * {@code 32·p + l}) and high nibbles run p + 2 ({@code 64 + 32·p + l}), and the bit pairs of those
     * two runs from {@code qh[l..]}. Two runs per pass, not four, keep the loop within what C2 inlines
     * in one method (four left a conversion un-inlined, and every vector of the loop was boxed).
     */
    private static float dot(byte[] q, int row, int blockCount, float[] x, int xRow) {
        FloatVector total = FloatVector.zero(S);
        int lanes = S.length();
        for (int b = 0; b < blockCount; b++) {
            int at = row + b * BYTES;
            float d = BlockLanes.half(q, at + D);
            for (int half = 0; half < 2; half++) {
                for (int group = 0; group < 2; group++) {
                    int scales = at + SCALES + 8 * half + group;
                    for (int pass = 0; pass < 2; pass++) {
                        FloatVector lowRun = FloatVector.zero(S);
                        FloatVector highRun = lowRun;
                        for (int c = 0; c < GROUP; c += BlockLanes.BYTES.length()) {
                            int l = group * GROUP + c;
                            ByteVector nibbleBytes = ByteVector.fromArray(BlockLanes.BYTES, q, at + 64 * half + 32 * pass + l);
                            ByteVector pairBytes = ByteVector.fromArray(BlockLanes.BYTES, q, at + QH + 32 * half + l);
                            for (int part = 0; part < PARTS; part++) {
                                IntVector nibbles = (IntVector) nibbleBytes.convertShape(B2I, INTS, part);
                                IntVector pairs = (IntVector) pairBytes.convertShape(B2I, INTS, part);
                                int xAt = xRow + b * SIZE + 128 * half + 32 * pass + l + part * lanes;
                                IntVector low = nibbles.and(0x0F).or(pairs.lanewise(LSHL, 4 - 2 * pass).and(0x30));
                                IntVector high = nibbles.lanewise(ASHR, 4).and(0x0F)
                                        .or(pairs.lanewise(ASHR, 2 * pass).and(0x30));
                                lowRun = ((FloatVector) low.sub(32).convert(I2F, 0)).fma(FloatVector.fromArray(S, x, xAt), lowRun);
                                highRun = ((FloatVector) high.sub(32).convert(I2F, 0)).fma(FloatVector.fromArray(S, x, xAt + 64), highRun);
                            }
                        }
                        total = lowRun.fma(FloatVector.broadcast(S, d * q[scales + 2 * pass]), total);
                        total = highRun.fma(FloatVector.broadcast(S, d * q[scales + 4 + 2 * pass]), total);
                    }
                }
            }
        }
        return SimdMath.sumLanes(total);
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
                            ByteVector first = ByteVector.fromMemorySegment(BlockLanes.BYTES, blocks, at + 64L * half + l, LITTLE_ENDIAN);
                            ByteVector second = ByteVector.fromMemorySegment(BlockLanes.BYTES, blocks, at + 64L * half + 32 + l, LITTLE_ENDIAN);
                            ByteVector high = ByteVector.fromMemorySegment(BlockLanes.BYTES, blocks, at + QH + 32L * half + l, LITTLE_ENDIAN);
                            // The signed 6-bit values: nibbles with two bits of high above them, minus 32.
                            ByteVector q0 = first.and((byte) 0x0F)
                                    .or(high.and((byte) 3).lanewise(LSHL, 4)).sub((byte) 32);
                            ByteVector q1 = second.and((byte) 0x0F)
                                    .or(high.lanewise(LSHR, 2).and((byte) 3).lanewise(LSHL, 4)).sub((byte) 32);
                            ByteVector q2 = first.lanewise(LSHR, 4).and((byte) 0x0F)
                                    .or(high.lanewise(LSHR, 4).and((byte) 3).lanewise(LSHL, 4)).sub((byte) 32);
                            ByteVector q3 = second.lanewise(LSHR, 4).and((byte) 0x0F)
                                    .or(high.lanewise(LSHR, 6).and((byte) 3).lanewise(LSHL, 4)).sub((byte) 32);
                            for (int part = 0; part < PARTS; part++) {
                                int column = b * SIZE + 128 * half + l + part * lanes;
                                FloatVector w0 = ((FloatVector) q0.convertShape(B2F, S, part)).mul(scale0);
                                FloatVector w1 = ((FloatVector) q1.convertShape(B2F, S, part)).mul(scale1);
                                FloatVector w2 = ((FloatVector) q2.convertShape(B2F, S, part)).mul(scale2);
                                FloatVector w3 = ((FloatVector) q3.convertShape(B2F, S, part)).mul(scale3);
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
