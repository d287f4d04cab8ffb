package dev.mixtape.engine.vector;

import dev.mixtape.engine.quant.PackedScales;
import dev.mixtape.engine.quant.QuantizedMatrix;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static dev.mixtape.engine.vector.BlockLanes.PARTS;

/**
 * {@link QuantizedGemv} for Q4_K with the Vector API. Each of a block's four runs of 32 nibble bytes
 * holds two sub-blocks of 32 (low nibbles, then high), whose value {@code (d·sc)·q − dmin·mn} makes a
 * dot product {@code d·sc·Σ q·x − dmin·mn·Σ x}: the first sum is taken over the nibbles widened in
 * registers, the second depends on x alone and is computed once per product for every sub-block
 * ({@code cols / 32} sums per activation row), not once per weight row. Loaded only when the Vector
 * API is present.
 */
final class SimdQ4_KGemv implements QuantizedGemv {
    private static final VectorSpecies<Float> S = BlockLanes.FLOATS;
    private static final int SIZE = 256;
    private static final int SUB = 32;
    private static final int QS = 4 + PackedScales.BYTES;
    private static final int BYTES = QS + SIZE / 2;

    @Override
    public void timesTransposed(int m, float[] x, int xOff, int ldx, QuantizedMatrix w, float[] y, int yOff, int ldy,
                                boolean accumulate, int fromRow, int toRow) {
        int subBlocks = w.cols() / SUB;
        float[] xSums = new float[m * subBlocks];
        for (int i = 0; i < m; i++) {
            for (int s = 0; s < subBlocks; s++) {
                float sum = 0;
                for (int j = 0; j < SUB; j++) {
                    sum += x[xOff + i * ldx + s * SUB + j];
                }
                xSums[i * subBlocks + s] = sum;
            }
        }
        for (int r = fromRow; r < toRow; r++) {
            for (int i = 0; i < m; i++) {
                float dot = dot(w.blocks(), w.blockOffset(r, 0), w.blocksPerRow(), x, xOff + i * ldx, xSums, i * subBlocks);
                int at = yOff + i * ldy + r;
                y[at] = accumulate ? y[at] + dot : dot;
            }
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
                    ByteVector packed = BlockLanes.load(blocks, at + QS + run * SUB + c);
                    ByteVector lowNibbles = BlockLanes.lowNibbles(packed);
                    ByteVector highNibbles = BlockLanes.highNibbles(packed);
                    for (int part = 0; part < PARTS; part++) {
                        int xLow = xAt + c + part * lanes;
                        low = BlockLanes.widen(lowNibbles, part).fma(FloatVector.fromArray(S, x, xLow), low);
                        high = BlockLanes.widen(highNibbles, part).fma(FloatVector.fromArray(S, x, xLow + SUB), high);
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
                        ByteVector packed = BlockLanes.load(blocks, at + QS + run * SUB + c);
                        ByteVector lowNibbles = BlockLanes.lowNibbles(packed);
                        ByteVector highNibbles = BlockLanes.highNibbles(packed);
                        for (int part = 0; part < PARTS; part++) {
                            int column = b * SIZE + run * 2 * SUB + c + part * lanes;
                            FloatVector lowWeights = BlockLanes.widen(lowNibbles, part).mul(lowScale).sub(lowMin);
                            FloatVector highWeights = BlockLanes.widen(highNibbles, part).mul(highScale).sub(highMin);
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
