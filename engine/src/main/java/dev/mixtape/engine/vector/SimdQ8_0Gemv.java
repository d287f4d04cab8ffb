package dev.mixtape.engine.vector;

import dev.mixtape.engine.quant.QuantizedMatrix;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static dev.mixtape.engine.vector.BlockLanes.PARTS;
import static java.nio.ByteOrder.LITTLE_ENDIAN;
import static jdk.incubator.vector.VectorOperators.B2F;

/**
 * {@link QuantizedGemv} for Q8_0 with the Vector API. A block's 32 signed bytes are loaded a vector
 * at a time and widened to floats in registers; in {@code x·Wᵀ} their products with x are summed in
 * one vector per block, which is then scaled by the block's {@code d} into the row's total (one FMA
 * per block, not per element), four weight rows at a time sharing each load of x (see
 * {@link QuantizedRows}), read from the heap array that holds them ({@link HeapBlocks}; a matrix
 * elsewhere takes the plain-loop kernel); in {@code dY·W} the widened bytes times {@code d} are the weights.
 * Loaded only when the Vector API is present.
 */
final class SimdQ8_0Gemv implements QuantizedGemv {
    private static final VectorSpecies<Float> S = BlockLanes.FLOATS;
    private static final int SIZE = 32;
    private static final int BYTES = 34;
    private static final QuantizedGemv PLAIN = new ScalarQuantizedGemv();

    @Override
    public void timesTransposed(int m, float[] x, int xOff, int ldx, QuantizedMatrix w, float[] y, int yOff, int ldy,
                                boolean accumulate, int fromRow, int toRow) {
        HeapBlocks heap = HeapBlocks.of(w.blocks());
        if (heap == null) {
            PLAIN.timesTransposed(m, x, xOff, ldx, w, y, yOff, ldy, accumulate, fromRow, toRow);
            return;
        }
        int rowBytes = (int) w.rowBytes();
        int quarter = QuantizedRows.quarter(fromRow, toRow);
        float[] stored = new float[4 * S.length()];
        float[] sums = new float[4];
        for (int g = 0; g < QuantizedRows.groups(fromRow, toRow); g++) {
            int r = QuantizedRows.firstRow(g, fromRow, quarter);
            int spread = QuantizedRows.spread(g, quarter);
            for (int i = 0; i < m; i++) {
                dot4(heap.bytes(), heap.base() + r * rowBytes, spread * rowBytes, w.blocksPerRow(), x, xOff + i * ldx,
                        stored, sums, y, yOff + i * ldy + r, spread, accumulate);
            }
        }
    }

    /**
     * Rows {@code r, r + spread, r + 2·spread, r + 3·spread} of W (r's blocks from {@code row} in
     * {@code q}, the others {@code byteSpread} bytes apart) against one activation row: each load of x
     * feeds four FMAs, and the four rows are four sequential streams. With a spread of 0 the one row
     * is read four times and written once (the few rows left over after the groups of four). The
     * four totals are stored and folded ({@link SimdMath#sumLanesOfEach}).
     */
    private static void dot4(byte[] q, int row, int byteSpread, int blockCount, float[] x, int xRow, float[] stored, float[] sums,
                             float[] y, int yRow, int spread, boolean accumulate) {
        int row1 = row + byteSpread;
        int row2 = row1 + byteSpread;
        int row3 = row2 + byteSpread;
        int lanes = S.length();
        FloatVector total0 = FloatVector.zero(S);
        FloatVector total1 = total0;
        FloatVector total2 = total0;
        FloatVector total3 = total0;
        for (int b = 0; b < blockCount; b++) {
            int at = b * BYTES;
            int xAt = xRow + b * SIZE;
            FloatVector sum0 = FloatVector.zero(S);
            FloatVector sum1 = sum0;
            FloatVector sum2 = sum0;
            FloatVector sum3 = sum0;
            for (int c = 0; c < SIZE; c += BlockLanes.BYTES.length()) {
                ByteVector q0 = ByteVector.fromArray(BlockLanes.BYTES, q, row + at + 2 + c);
                ByteVector q1 = ByteVector.fromArray(BlockLanes.BYTES, q, row1 + at + 2 + c);
                ByteVector q2 = ByteVector.fromArray(BlockLanes.BYTES, q, row2 + at + 2 + c);
                ByteVector q3 = ByteVector.fromArray(BlockLanes.BYTES, q, row3 + at + 2 + c);
                for (int part = 0; part < PARTS; part++) {
                    FloatVector xs = FloatVector.fromArray(S, x, xAt + c + part * lanes);
                    sum0 = ((FloatVector) q0.convertShape(B2F, S, part)).fma(xs, sum0);
                    sum1 = ((FloatVector) q1.convertShape(B2F, S, part)).fma(xs, sum1);
                    sum2 = ((FloatVector) q2.convertShape(B2F, S, part)).fma(xs, sum2);
                    sum3 = ((FloatVector) q3.convertShape(B2F, S, part)).fma(xs, sum3);
                }
            }
            total0 = sum0.fma(FloatVector.broadcast(S, BlockLanes.half(q, row + at)), total0);
            total1 = sum1.fma(FloatVector.broadcast(S, BlockLanes.half(q, row1 + at)), total1);
            total2 = sum2.fma(FloatVector.broadcast(S, BlockLanes.half(q, row2 + at)), total2);
            total3 = sum3.fma(FloatVector.broadcast(S, BlockLanes.half(q, row3 + at)), total3);
        }
        total0.intoArray(stored, 0);
        total1.intoArray(stored, lanes);
        total2.intoArray(stored, 2 * lanes);
        total3.intoArray(stored, 3 * lanes);
        SimdMath.sumLanesOfEach(stored, 4, sums);
        QuantizedRows.store(y, yRow, spread, accumulate, sums[0], sums[1], sums[2], sums[3]);
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
                    ByteVector q = ByteVector.fromMemorySegment(BlockLanes.BYTES, blocks, at + 2 + c, LITTLE_ENDIAN);
                    for (int part = 0; part < PARTS; part++) {
                        FloatVector weights = ((FloatVector) q.convertShape(B2F, S, part)).mul(d);
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
