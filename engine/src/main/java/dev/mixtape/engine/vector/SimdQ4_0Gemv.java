package dev.mixtape.engine.vector;

import dev.mixtape.engine.quant.QuantizedMatrix;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static dev.mixtape.engine.vector.BlockLanes.PARTS;

/**
 * {@link QuantizedGemv} for Q4_0 with the Vector API. A load of the block's 16 nibble bytes gives
 * two runs of elements at once: the low nibbles are elements {@code c..}, the high ones
 * {@code 16 + c..}; both are masked (and shifted), recentred by −8 as bytes, then widened to floats.
 * Products with x are summed per block and scaled by {@code d} once, as in {@link SimdQ8_0Gemv}.
 * Loaded only when the Vector API is present.
 */
final class SimdQ4_0Gemv implements QuantizedGemv {
    private static final VectorSpecies<Float> S = BlockLanes.FLOATS;
    private static final int SIZE = 32;
    private static final int HALF = SIZE / 2;
    private static final int BYTES = 18;

    @Override
    public void timesTransposed(int m, float[] x, int xOff, int ldx, QuantizedMatrix w, float[] y, int yOff, int ldy,
                                boolean accumulate, int fromRow, int toRow) {
        for (int r = fromRow; r < toRow; r++) {
            for (int i = 0; i < m; i++) {
                float dot = dot(w.blocks(), w.blockOffset(r, 0), w.blocksPerRow(), x, xOff + i * ldx);
                int at = yOff + i * ldy + r;
                y[at] = accumulate ? y[at] + dot : dot;
            }
        }
    }

    private static float dot(MemorySegment blocks, long row, int blockCount, float[] x, int xRow) {
        FloatVector total = FloatVector.zero(S);
        int lanes = S.length();
        for (int b = 0; b < blockCount; b++) {
            long at = row + (long) b * BYTES;
            FloatVector block = FloatVector.zero(S);
            int xAt = xRow + b * SIZE;
            for (int c = 0; c < HALF; c += BlockLanes.BYTES.length()) {
                ByteVector packed = BlockLanes.load(blocks, at + 2 + c);
                ByteVector low = packed.and((byte) 0x0F).sub((byte) 8);
                ByteVector high = packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F).sub((byte) 8);
                for (int part = 0; part < PARTS; part++) {
                    int xLow = xAt + c + part * lanes;
                    block = BlockLanes.widen(low, part).fma(FloatVector.fromArray(S, x, xLow), block);
                    block = BlockLanes.widen(high, part).fma(FloatVector.fromArray(S, x, xLow + HALF), block);
                }
            }
            total = block.fma(FloatVector.broadcast(S, BlockLanes.half(blocks, at)), total);
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
                float d = BlockLanes.half(blocks, at);
                for (int c = 0; c < HALF; c += BlockLanes.BYTES.length()) {
                    ByteVector packed = BlockLanes.load(blocks, at + 2 + c);
                    ByteVector low = packed.and((byte) 0x0F).sub((byte) 8);
                    ByteVector high = packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F).sub((byte) 8);
                    for (int part = 0; part < PARTS; part++) {
                        int column = b * SIZE + c + part * lanes;
                        FloatVector lowWeights = BlockLanes.widen(low, part).mul(d);
                        FloatVector highWeights = BlockLanes.widen(high, part).mul(d);
                        for (int i = 0; i < m; i++) {
                            FloatVector g = FloatVector.broadcast(S, dy[dyOff + i * lddy + r]);
                            int out = dxOff + i * lddx + column;
                            lowWeights.fma(g, FloatVector.fromArray(S, dx, out)).intoArray(dx, out);
                            highWeights.fma(g, FloatVector.fromArray(S, dx, out + HALF)).intoArray(dx, out + HALF);
                        }
                    }
                }
            }
        }
    }
}
