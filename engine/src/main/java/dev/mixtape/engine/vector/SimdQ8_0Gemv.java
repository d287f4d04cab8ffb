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

    /**
     * One weight row against one activation row. Even and odd blocks go to separate totals, and each
     * block's products to two sums, so that no chain of dependent FMAs sets the pace.
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

    /** {@code Σ q·x} over the block at {@code at}, its 32 bytes widened in registers, before the scale. */
    private static FloatVector blockSum(MemorySegment blocks, long at, float[] x, int xAt) {
        int lanes = S.length();
        FloatVector first = FloatVector.zero(S);
        FloatVector second = first;
        int chunk = 0;
        for (int c = 0; c < SIZE; c += BlockLanes.BYTES.length()) {
            ByteVector q = BlockLanes.load(blocks, at + 2 + c);
            for (int part = 0; part < PARTS; part++, chunk++) {
                FloatVector product = BlockLanes.widen(q, part);
                FloatVector xs = FloatVector.fromArray(S, x, xAt + chunk * lanes);
                if ((chunk & 1) == 0) {
                    first = product.fma(xs, first);
                } else {
                    second = product.fma(xs, second);
                }
            }
        }
        return first.add(second);
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
