package dev.mixtape.engine.vector;

import dev.mixtape.engine.quant.PackedScales;
import dev.mixtape.engine.quant.QuantizedMatrix;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static dev.mixtape.engine.vector.BlockLanes.PARTS;
import static java.nio.ByteOrder.LITTLE_ENDIAN;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHR;

/**
 * {@link QuantizedGemv} for Q4_K with the Vector API. Each of a block's four runs of 32 nibble bytes
 * holds two sub-blocks of 32 (low nibbles, then high), whose value {@code (d·sc)·q − dmin·mn} makes a
 * dot product {@code d·sc·Σ q·x − dmin·mn·Σ x}: the first sum is taken over the nibbles widened in
 * registers, the second depends on x alone and is computed once per product for every sub-block
 * ({@code cols / 32} sums per activation row), not once per weight row. In {@code x·Wᵀ} the weight
 * rows go in groups of four read as two pairs, from the heap array that holds them, as Q4_0's do
 * ({@link SimdQ4_0Gemv}); a matrix elsewhere (a file's mapping) is read one row at a time through its
 * segment. Loaded only when the Vector API is present.
 */
final class SimdQ4_KGemv implements QuantizedGemv {
    private static final VectorSpecies<Float> S = BlockLanes.FLOATS;
    private static final VectorSpecies<Integer> INTS = BlockLanes.INTS;
    private static final int SIZE = 256;
    private static final int SUB = 32;
    private static final int QS = 4 + PackedScales.BYTES;
    private static final int BYTES = QS + SIZE / 2;

    @Override
    public void timesTransposed(int m, float[] x, int xOff, int ldx, QuantizedMatrix w, float[] y, int yOff, int ldy,
                                boolean accumulate, int fromRow, int toRow) {
        int subBlocks = w.cols() / SUB;
        float[] xSums = BlockLanes.subBlockSums(m, x, xOff, ldx, w.cols(), SUB);
        HeapBlocks heap = HeapBlocks.of(w.blocks());
        if (heap == null) {
            for (int r = fromRow; r < toRow; r++) {
                for (int i = 0; i < m; i++) {
                    float dot = dot(w.blocks(), w.blockOffset(r, 0), w.blocksPerRow(), x, xOff + i * ldx, xSums, i * subBlocks);
                    int at = yOff + i * ldy + r;
                    y[at] = accumulate ? y[at] + dot : dot;
                }
            }
            return;
        }
        int rowBytes = (int) w.rowBytes();
        int quarter = QuantizedRows.quarter(fromRow, toRow);
        float[] stored = new float[2 * S.length()];
        float[] sums = new float[2];
        for (int g = 0; g < QuantizedRows.groups(fromRow, toRow); g++) {
            int r = QuantizedRows.firstRow(g, fromRow, quarter);
            int spread = QuantizedRows.spread(g, quarter);
            for (int i = 0; i < m; i++) {
                int at = heap.base() + r * rowBytes;
                int yAt = yOff + i * ldy + r;
                dot2(heap.bytes(), at, spread * rowBytes, w.blocksPerRow(), x, xOff + i * ldx, xSums, i * subBlocks,
                        stored, sums, y, yAt, spread, accumulate);
                if (spread > 0) {
                    dot2(heap.bytes(), at + 2 * spread * rowBytes, spread * rowBytes, w.blocksPerRow(), x, xOff + i * ldx,
                            xSums, i * subBlocks, stored, sums, y, yAt + 2 * spread, spread, accumulate);
                }
            }
        }
    }

    /**
     * Rows {@code r} and {@code r + spread} of W (r's blocks from {@code row} in {@code q}, the other
     * {@code byteSpread} bytes on) against one activation row, read from the heap array: each load of
     * x feeds both rows, the nibbles are widened to ints and masked and shifted there (x86 has no byte
     * shift). A group of four ({@link QuantizedRows}) is two such pairs, as in {@link SimdQ4_0Gemv},
     * and the two totals are stored and folded by {@link SimdMath#sumLanesOfEach}. With a spread of 0
     * the one row is read twice and written once.
     */
    private static void dot2(byte[] q, int row, int byteSpread, int blockCount, float[] x, int xRow, float[] xSums, int sumsAt,
                             float[] stored, float[] sums, float[] y, int yRow, int spread, boolean accumulate) {
        int row1 = row + byteSpread;
        int lanes = S.length();
        FloatVector total0 = FloatVector.zero(S);
        FloatVector total1 = total0;
        float minimums0 = 0;
        float minimums1 = 0;
        for (int b = 0; b < blockCount; b++) {
            int at0 = row + b * BYTES;
            int at1 = row1 + b * BYTES;
            float d0 = BlockLanes.half(q, at0);
            float d1 = BlockLanes.half(q, at1);
            float dmin0 = BlockLanes.half(q, at0 + 2);
            float dmin1 = BlockLanes.half(q, at1 + 2);
            for (int run = 0; run < 4; run++) {
                int lowSub = 2 * run;
                FloatVector low0 = FloatVector.zero(S);
                FloatVector high0 = low0;
                FloatVector low1 = low0;
                FloatVector high1 = low0;
                int xAt = xRow + b * SIZE + run * 2 * SUB;
                for (int c = 0; c < SUB; c += BlockLanes.BYTES.length()) {
                    ByteVector packed0 = ByteVector.fromArray(BlockLanes.BYTES, q, at0 + QS + run * SUB + c);
                    ByteVector packed1 = ByteVector.fromArray(BlockLanes.BYTES, q, at1 + QS + run * SUB + c);
                    for (int part = 0; part < PARTS; part++) {
                        int xLow = xAt + c + part * lanes;
                        FloatVector xsLow = FloatVector.fromArray(S, x, xLow);
                        FloatVector xsHigh = FloatVector.fromArray(S, x, xLow + SUB);
                        IntVector bytes0 = (IntVector) packed0.convertShape(B2I, INTS, part);
                        IntVector bytes1 = (IntVector) packed1.convertShape(B2I, INTS, part);
                        low0 = ((FloatVector) bytes0.and(0x0F).convert(I2F, 0)).fma(xsLow, low0);
                        low1 = ((FloatVector) bytes1.and(0x0F).convert(I2F, 0)).fma(xsLow, low1);
                        high0 = ((FloatVector) bytes0.lanewise(ASHR, 4).and(0x0F).convert(I2F, 0)).fma(xsHigh, high0);
                        high1 = ((FloatVector) bytes1.lanewise(ASHR, 4).and(0x0F).convert(I2F, 0)).fma(xsHigh, high1);
                    }
                }
                int scales0 = at0 + 4;
                int scales1 = at1 + 4;
                total0 = low0.fma(FloatVector.broadcast(S, d0 * PackedScales.scale(q, scales0, lowSub)), total0);
                total0 = high0.fma(FloatVector.broadcast(S, d0 * PackedScales.scale(q, scales0, lowSub + 1)), total0);
                total1 = low1.fma(FloatVector.broadcast(S, d1 * PackedScales.scale(q, scales1, lowSub)), total1);
                total1 = high1.fma(FloatVector.broadcast(S, d1 * PackedScales.scale(q, scales1, lowSub + 1)), total1);
                int sub = sumsAt + b * (SIZE / SUB) + lowSub;
                minimums0 += dmin0 * PackedScales.min(q, scales0, lowSub) * xSums[sub];
                minimums0 += dmin0 * PackedScales.min(q, scales0, lowSub + 1) * xSums[sub + 1];
                minimums1 += dmin1 * PackedScales.min(q, scales1, lowSub) * xSums[sub];
                minimums1 += dmin1 * PackedScales.min(q, scales1, lowSub + 1) * xSums[sub + 1];
            }
        }
        total0.intoArray(stored, 0);
        total1.intoArray(stored, lanes);
        SimdMath.sumLanesOfEach(stored, 2, sums);
        QuantizedRows.store(y, yRow, accumulate, sums[0] - minimums0);
        if (spread > 0) {
            QuantizedRows.store(y, yRow + spread, accumulate, sums[1] - minimums1);
        }
    }

    private static float dot(MemorySegment blocks, long row, int blockCount, float[] x, int xRow, float[] xSums, int sumsAt) {
        FloatVector total = FloatVector.zero(S);
        float minimums = 0;
        int lanes = S.length();
        for (int b = 0; b < blockCount; b++) {
            long at = row + (long) b * BYTES;
            float d = BlockLanes.half(blocks, at);
            float dmin = BlockLanes.half(blocks, at + 2);
            for (int run = 0; run < 4; run++) {
                int lowSub = 2 * run;
                FloatVector low = FloatVector.zero(S);
                FloatVector high = FloatVector.zero(S);
                int xAt = xRow + b * SIZE + run * 2 * SUB;
                for (int c = 0; c < SUB; c += BlockLanes.BYTES.length()) {
                    ByteVector packed = ByteVector.fromMemorySegment(BlockLanes.BYTES, blocks, at + QS + run * SUB + c, LITTLE_ENDIAN);
                    ByteVector lowNibbles = packed.and((byte) 0x0F);
                    ByteVector highNibbles = packed.lanewise(LSHR, 4).and((byte) 0x0F);
                    for (int part = 0; part < PARTS; part++) {
                        int xLow = xAt + c + part * lanes;
                        low = ((FloatVector) lowNibbles.convertShape(B2F, S, part)).fma(FloatVector.fromArray(S, x, xLow), low);
                        high = ((FloatVector) highNibbles.convertShape(B2F, S, part)).fma(FloatVector.fromArray(S, x, xLow + SUB), high);
                    }
                }
                long scales = at + 4;
                total = low.fma(FloatVector.broadcast(S, d * PackedScales.scale(blocks, scales, lowSub)), total);
                total = high.fma(FloatVector.broadcast(S, d * PackedScales.scale(blocks, scales, lowSub + 1)), total);
                int sub = sumsAt + b * (SIZE / SUB) + lowSub;
                minimums += dmin * PackedScales.min(blocks, scales, lowSub) * xSums[sub];
                minimums += dmin * PackedScales.min(blocks, scales, lowSub + 1) * xSums[sub + 1];
            }
        }
        return SimdMath.sumLanes(total) - minimums;
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
                float d = BlockLanes.half(blocks, at);
                float dmin = BlockLanes.half(blocks, at + 2);
                for (int run = 0; run < 4; run++) {
                    long scales = at + 4;
                    float lowScale = d * PackedScales.scale(blocks, scales, 2 * run);
                    float lowMin = dmin * PackedScales.min(blocks, scales, 2 * run);
                    float highScale = d * PackedScales.scale(blocks, scales, 2 * run + 1);
                    float highMin = dmin * PackedScales.min(blocks, scales, 2 * run + 1);
                    for (int c = 0; c < SUB; c += BlockLanes.BYTES.length()) {
                        ByteVector packed = ByteVector.fromMemorySegment(BlockLanes.BYTES, blocks, at + QS + run * SUB + c, LITTLE_ENDIAN);
                        ByteVector lowNibbles = packed.and((byte) 0x0F);
                        ByteVector highNibbles = packed.lanewise(LSHR, 4).and((byte) 0x0F);
                        for (int part = 0; part < PARTS; part++) {
                            int column = b * SIZE + run * 2 * SUB + c + part * lanes;
                            FloatVector lowWeights = ((FloatVector) lowNibbles.convertShape(B2F, S, part)).mul(lowScale).sub(lowMin);
                            FloatVector highWeights = ((FloatVector) highNibbles.convertShape(B2F, S, part)).mul(highScale).sub(highMin);
                            for (int i = 0; i < m; i++) {
                                FloatVector g = FloatVector.broadcast(S, dy[dyOff + i * lddy + r]);
                                int out = dxOff + i * lddx + column;
                                lowWeights.fma(g, FloatVector.fromArray(S, dx, out)).intoArray(dx, out);
                                highWeights.fma(g, FloatVector.fromArray(S, dx, out + SUB)).intoArray(dx, out + SUB);
                            }
                        }
                    }
                }
            }
        }
    }
}
