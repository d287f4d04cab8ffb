package dev.mixtape.engine.vector;

import dev.mixtape.engine.quant.QuantizedMatrix;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static dev.mixtape.engine.vector.BlockLanes.PARTS;

/**
 * {@link QuantizedGemv} for Q8_0 with the Vector API. A block's 32 signed bytes are loaded a vector
 * at a time and widened to floats in registers; in {@code x·Wᵀ} their products with x are summed in
 * one vector per block, which is then scaled by the block's {@code d} into the row's total (one FMA
 * per block, not per element); in {@code dY·W} the widened bytes times {@code d} are the weights.
 * Loaded only when the Vector API is present.
 */
final class SimdQ8_0Gemv implements QuantizedGemv {
    private static final VectorSpecies<Float> S = BlockLanes.FLOATS;
    private static final int SIZE = 32;
    private static final int BYTES = 34;

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
            for (int c = 0; c < SIZE; c += BlockLanes.BYTES.length()) {
                ByteVector q = BlockLanes.load(blocks, at + 2 + c);
                for (int part = 0; part < PARTS; part++) {
                    block = BlockLanes.widen(q, part).fma(FloatVector.fromArray(S, x, xAt + c + part * lanes), block);
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
                for (int c = 0; c < SIZE; c += BlockLanes.BYTES.length()) {
                    ByteVector q = BlockLanes.load(blocks, at + 2 + c);
                    for (int part = 0; part < PARTS; part++) {
                        FloatVector weights = BlockLanes.widen(q, part).mul(d);
                        int column = b * SIZE + c + part * lanes;
                        for (int i = 0; i < m; i++) {
                            int out = dxOff + i * lddx + column;
                            FloatVector g = FloatVector.broadcast(S, dy[dyOff + i * lddy + r]);
                            weights.fma(g, FloatVector.fromArray(S, dx, out)).intoArray(dx, out);
                        }
                    }
                }
            }
        }
    }
}
