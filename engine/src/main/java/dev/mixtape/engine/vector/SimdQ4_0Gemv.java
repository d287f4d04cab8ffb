package dev.mixtape.engine.vector;

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
 * {@link QuantizedGemv} for Q4_0 with the Vector API. A load of the block's nibble bytes gives two
 * runs of elements at once: the low nibbles are elements {@code c..}, the high ones {@code 16 + c..}.
 * In {@code x·Wᵀ} the bytes are widened to ints, masked (and shifted) there, where x86 has the
 * instructions, and converted to floats; their products with x are summed per block and scaled by
 * {@code d} once, and the blocks' {@code −8} is taken off at the end as {@code 8·Σ d·Σx} (the sums of
 * x over each block found once per product). The weight rows go in groups of four read as two
 * pairs, each load of x shared by a pair (see {@link QuantizedRows}), from the heap array that holds
 * them ({@link HeapBlocks}; a matrix elsewhere takes the plain-loop kernel). In {@code dY·W} the
 * nibbles are recentred by −8 as bytes and scaled into weights. Loaded only when the Vector API is
 * present.
 */
final class SimdQ4_0Gemv implements QuantizedGemv {
    private static final VectorSpecies<Float> S = BlockLanes.FLOATS;
    private static final VectorSpecies<Integer> INTS = BlockLanes.INTS;
    private static final int SIZE = 32;
    private static final int HALF = SIZE / 2;
    private static final int BYTES = 18;
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
        int blockCount = w.blocksPerRow();
        float[] blockSums = blockSums(m, x, xOff, ldx, blockCount);
        int quarter = QuantizedRows.quarter(fromRow, toRow);
        float[] stored = new float[2 * S.length()];
        float[] sums = new float[2];
        for (int g = 0; g < QuantizedRows.groups(fromRow, toRow); g++) {
            int r = QuantizedRows.firstRow(g, fromRow, quarter);
            int spread = QuantizedRows.spread(g, quarter);
            for (int i = 0; i < m; i++) {
                int at = heap.base() + r * rowBytes;
                int yAt = yOff + i * ldy + r;
                dot2(heap.bytes(), at, spread * rowBytes, blockCount, x, xOff + i * ldx, blockSums, i * blockCount,
                        stored, sums, y, yAt, spread, accumulate);
                if (spread > 0) {
                    dot2(heap.bytes(), at + 2 * spread * rowBytes, spread * rowBytes, blockCount, x, xOff + i * ldx,
                            blockSums, i * blockCount, stored, sums, y, yAt + 2 * spread, spread, accumulate);
                }
            }
        }
    }

    /** {@code Σx} over each block of 32 of each activation row, row after row: the sums the −8 of every weight row takes off. */
    private static float[] blockSums(int m, float[] x, int xOff, int ldx, int blockCount) {
        float[] sums = new float[m * blockCount];
        for (int i = 0; i < m; i++) {
            for (int b = 0; b < blockCount; b++) {
                int from = xOff + i * ldx + b * SIZE;
                FloatVector sum = FloatVector.fromArray(S, x, from);
                for (int p = S.length(); p < SIZE; p += S.length()) {
                    sum = sum.add(FloatVector.fromArray(S, x, from + p));
                }
                sums[i * blockCount + b] = SimdMath.sumLanes(sum);
            }
        }
        return sums;
    }

    /**
     * Rows {@code r} and {@code r + spread} of W (r's blocks from {@code row} in {@code q}, the other
     * {@code byteSpread} bytes on) against one activation row: {@code Σ d·Σ q·x} over the blocks in
     * vector lanes and {@code Σ d·Σx} ({@code blockSums} from {@code sumsAt}) beside it in a scalar,
     * taken off eight times at the end. Each load of x feeds both rows. A group of four
     * ({@link QuantizedRows}) is two such pairs: four rows at once would be more code than C2 inlines
     * in one method, and a vector helper it does not inline is boxed (so the two totals are stored and
     * folded by {@link SimdMath#sumLanesOfEach}). With a spread of 0 the one row is read twice and
     * written once.
     */
    private static void dot2(byte[] q, int row, int byteSpread, int blockCount, float[] x, int xRow, float[] blockSums,
                             int sumsAt, float[] stored, float[] sums, float[] y, int yRow, int spread, boolean accumulate) {
        int row1 = row + byteSpread;
        int lanes = S.length();
        FloatVector total0 = FloatVector.zero(S);
        FloatVector total1 = total0;
        float offsets0 = 0;
        float offsets1 = 0;
        for (int b = 0; b < blockCount; b++) {
            int at = b * BYTES;
            int xAt = xRow + b * SIZE;
            FloatVector sum0 = FloatVector.zero(S);
            FloatVector sum1 = sum0;
            for (int c = 0; c < HALF; c += BlockLanes.BYTES.length()) {
                ByteVector packed0 = ByteVector.fromArray(BlockLanes.BYTES, q, row + at + 2 + c);
                ByteVector packed1 = ByteVector.fromArray(BlockLanes.BYTES, q, row1 + at + 2 + c);
                for (int part = 0; part < PARTS; part++) {
                    FloatVector xLow = FloatVector.fromArray(S, x, xAt + c + part * lanes);
                    FloatVector xHigh = FloatVector.fromArray(S, x, xAt + HALF + c + part * lanes);
                    IntVector bytes0 = (IntVector) packed0.convertShape(B2I, INTS, part);
                    IntVector bytes1 = (IntVector) packed1.convertShape(B2I, INTS, part);
                    sum0 = ((FloatVector) bytes0.and(0x0F).convert(I2F, 0)).fma(xLow, sum0);
                    sum1 = ((FloatVector) bytes1.and(0x0F).convert(I2F, 0)).fma(xLow, sum1);
                    sum0 = ((FloatVector) bytes0.lanewise(ASHR, 4).and(0x0F).convert(I2F, 0)).fma(xHigh, sum0);
                    sum1 = ((FloatVector) bytes1.lanewise(ASHR, 4).and(0x0F).convert(I2F, 0)).fma(xHigh, sum1);
                }
            }
            float d0 = BlockLanes.half(q, row + at);
            float d1 = BlockLanes.half(q, row1 + at);
            float blockSum = blockSums[sumsAt + b];
            total0 = sum0.fma(FloatVector.broadcast(S, d0), total0);
            total1 = sum1.fma(FloatVector.broadcast(S, d1), total1);
            offsets0 += d0 * blockSum;
            offsets1 += d1 * blockSum;
        }
        total0.intoArray(stored, 0);
        total1.intoArray(stored, lanes);
        SimdMath.sumLanesOfEach(stored, 2, sums);
        QuantizedRows.store(y, yRow, accumulate, sums[0] - 8 * offsets0);
        if (spread > 0) {
            QuantizedRows.store(y, yRow + spread, accumulate, sums[1] - 8 * offsets1);
        }
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
                    ByteVector packed = ByteVector.fromMemorySegment(BlockLanes.BYTES, blocks, at + 2 + c, LITTLE_ENDIAN);
                    ByteVector low = packed.and((byte) 0x0F).sub((byte) 8);
                    ByteVector high = packed.lanewise(LSHR, 4).and((byte) 0x0F).sub((byte) 8);
                    for (int part = 0; part < PARTS; part++) {
                        int column = b * SIZE + c + part * lanes;
                        FloatVector lowWeights = ((FloatVector) low.convertShape(B2F, S, part)).mul(d);
                        FloatVector highWeights = ((FloatVector) high.convertShape(B2F, S, part)).mul(d);
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
