package dev.mixtape.engine.vector;

import dev.mixtape.engine.quant.QuantizedMatrix;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
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

    /**
     * One weight row against one activation row. Even and odd blocks go to separate totals, and each
     * block's low and high nibbles to separate sums, so that no chain of dependent FMAs sets the pace.
     */
    private static float dot(MemorySegment blocks, long row, int blockCount, float[] x, int xRow) {
        FloatVector even = FloatVector.zero(S);
        FloatVector odd = even;
        int b = 0;
        for (; b + 1 < blockCount; b += 2) {
            long at = row + (long) b * BYTES;
            even = blockSum(blocks, at, x, xRow + b * SIZE).fma(FloatVector.broadcast(S, BlockLanes.half(blocks, at)), even);
            odd = blockSum(blocks, at + BYTES, x, xRow + (b + 1) * SIZE)
                    .fma(FloatVector.broadcast(S, BlockLanes.half(blocks, at + BYTES)), odd);
        }
        if (b < blockCount) {
            long at = row + (long) b * BYTES;
            even = blockSum(blocks, at, x, xRow + b * SIZE).fma(FloatVector.broadcast(S, BlockLanes.half(blocks, at)), even);
        }
        return SimdMath.sumLanes(even.add(odd));
    }

    /** {@code Σ (q − 8)·x} over the block at {@code at}, its nibbles widened in registers, before the scale. */
    private static FloatVector blockSum(MemorySegment blocks, long at, float[] x, int xAt) {
        int lanes = S.length();
        FloatVector low = FloatVector.zero(S);
        FloatVector high = low;
        for (int c = 0; c < HALF; c += BlockLanes.BYTES.length()) {
            ByteVector packed = BlockLanes.load(blocks, at + 2 + c);
            ByteVector lowValues = BlockLanes.lowNibbles(packed).sub((byte) 8);
            ByteVector highValues = BlockLanes.highNibbles(packed).sub((byte) 8);
            for (int part = 0; part < PARTS; part++) {
                int xLow = xAt + c + part * lanes;
                low = BlockLanes.widen(lowValues, part).fma(FloatVector.fromArray(S, x, xLow), low);
                high = BlockLanes.widen(highValues, part).fma(FloatVector.fromArray(S, x, xLow + HALF), high);
            }
        }
        return low.add(high);
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
                    ByteVector low = BlockLanes.lowNibbles(packed).sub((byte) 8);
                    ByteVector high = BlockLanes.highNibbles(packed).sub((byte) 8);
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
