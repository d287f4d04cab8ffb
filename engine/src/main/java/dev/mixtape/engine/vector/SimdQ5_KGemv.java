package dev.mixtape.engine.vector;

import dev.mixtape.engine.quant.PackedScales;
import dev.mixtape.engine.quant.QuantizedMatrix;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

import static dev.mixtape.engine.vector.BlockLanes.PARTS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;

/**
 * {@link QuantizedGemv} for Q5_K with the Vector API. A block is Q4_K's with a fifth bit above each
 * nibble: each of its four runs of 32 nibble bytes holds two sub-blocks of 32 (low nibbles, then
 * high), and byte {@code l} of the 32 bytes {@code qh} holds bit {@code s} of element {@code l} of
 * sub-block {@code s}. In {@code x·Wᵀ} the nibble bytes and the {@code qh} bytes are widened to ints,
 * where the 5-bit values are assembled with masks and shifts, converted to floats and summed against
 * x per sub-block; as in {@link SimdQ4_KGemv}, {@code d·sc·Σ q·x − dmin·mn·Σx} takes the sums of x
 * over each sub-block, found once per product. The weight rows go in groups of four read as two
 * pairs ({@link QuantizedRows}), from the heap array that holds them ({@link HeapBlocks}); a matrix
 * elsewhere (a file's mapping) has each pair of rows copied into a small array first. {@code dY·W}
 * takes the plain-loop kernel. Loaded only when the Vector API is present.
 */
final class SimdQ5_KGemv implements QuantizedGemv {
    private static final VectorSpecies<Float> S = BlockLanes.FLOATS;
    private static final VectorSpecies<Integer> INTS = BlockLanes.INTS;
    private static final int SIZE = 256;
    private static final int SUB = 32;
    private static final int QH = 4 + PackedScales.BYTES;
    private static final int QS = QH + SIZE / 8;
    private static final int BYTES = QS + SIZE / 2;
    private static final QuantizedGemv PLAIN = new ScalarQuantizedGemv();

    @Override
    public void timesTransposed(int m, float[] x, int xOff, int ldx, QuantizedMatrix w, float[] y, int yOff, int ldy,
                                boolean accumulate, int fromRow, int toRow) {
        int subBlocks = w.cols() / SUB;
        float[] xSums = BlockLanes.subBlockSums(m, x, xOff, ldx, w.cols(), SUB);
        HeapBlocks heap = HeapBlocks.of(w.blocks());
        int rowBytes = (int) w.rowBytes();
        byte[] copy = heap == null ? new byte[2 * rowBytes] : null;
        int quarter = QuantizedRows.quarter(fromRow, toRow);
        float[] stored = new float[2 * S.length()];
        float[] sums = new float[2];
        for (int g = 0; g < QuantizedRows.groups(fromRow, toRow); g++) {
            int r = QuantizedRows.firstRow(g, fromRow, quarter);
            int spread = QuantizedRows.spread(g, quarter);
            for (int pair = 0; pair < (spread > 0 ? 2 : 1); pair++) {
                int first = r + 2 * pair * spread;
                byte[] q = copy;
                int at = 0;
                int byteSpread = rowBytes;
                if (heap == null) {
                    MemorySegment.copy(w.blocks(), JAVA_BYTE, w.blockOffset(first, 0), copy, 0, rowBytes);
                    MemorySegment.copy(w.blocks(), JAVA_BYTE, w.blockOffset(first + spread, 0), copy, rowBytes, rowBytes);
                } else {
                    q = heap.bytes();
                    at = heap.base() + first * rowBytes;
                    byteSpread = spread * rowBytes;
                }
                for (int i = 0; i < m; i++) {
                    dot2(q, at, byteSpread, w.blocksPerRow(), x, xOff + i * ldx, xSums, i * subBlocks,
                            stored, sums, y, yOff + i * ldy + first, spread, accumulate);
                }
            }
        }
    }

    /**
     * Rows {@code r} and {@code r + spread} of W (r's blocks from {@code row} in {@code q}, the other
     * {@code byteSpread} bytes on) against one activation row: each load of x feeds both rows. The
     * loop goes over the eight sub-blocks, each reading its run's nibble bytes (sub-blocks 2j and
     * 2j + 1 share run j's) and the {@code qh} bytes: one sub-block per pass keeps the Vector API
     * calls within the node budget C2 inlines in one method (two per pass went over it, and a vector
     * left to a call that is not inlined is boxed; so too the two totals are stored and folded by
     * {@link SimdMath#sumLanesOfEach}). With a spread of 0 the one row is read twice and
     * written once.
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
            for (int sub = 0; sub < SIZE / SUB; sub++) {
                int nibbles = at0 + QS + sub / 2 * SUB;
                int shift = 4 * (sub % 2);
                FloatVector sum0 = FloatVector.zero(S);
                FloatVector sum1 = sum0;
                int xAt = xRow + b * SIZE + sub * SUB;
                for (int c = 0; c < SUB; c += BlockLanes.BYTES.length()) {
                    ByteVector packed0 = ByteVector.fromArray(BlockLanes.BYTES, q, nibbles + c);
                    ByteVector packed1 = ByteVector.fromArray(BlockLanes.BYTES, q, nibbles + byteSpread + c);
                    ByteVector fifths0 = ByteVector.fromArray(BlockLanes.BYTES, q, at0 + QH + c);
                    ByteVector fifths1 = ByteVector.fromArray(BlockLanes.BYTES, q, at1 + QH + c);
                    for (int part = 0; part < PARTS; part++) {
                        FloatVector xs = FloatVector.fromArray(S, x, xAt + c + part * lanes);
                        // The 5-bit values: the nibble shift bits up (0 or 4), with bit sub of the qh bytes above it.
                        IntVector nibble0 = ((IntVector) packed0.convertShape(B2I, INTS, part)).lanewise(ASHR, shift).and(0x0F);
                        IntVector nibble1 = ((IntVector) packed1.convertShape(B2I, INTS, part)).lanewise(ASHR, shift).and(0x0F);
                        IntVector fifth0 = ((IntVector) fifths0.convertShape(B2I, INTS, part)).lanewise(LSHL, 4).lanewise(ASHR, sub).and(0x10);
                        IntVector fifth1 = ((IntVector) fifths1.convertShape(B2I, INTS, part)).lanewise(LSHL, 4).lanewise(ASHR, sub).and(0x10);
                        sum0 = ((FloatVector) nibble0.or(fifth0).convert(I2F, 0)).fma(xs, sum0);
                        sum1 = ((FloatVector) nibble1.or(fifth1).convert(I2F, 0)).fma(xs, sum1);
                    }
                }
                total0 = sum0.fma(FloatVector.broadcast(S, d0 * PackedScales.scale(q, at0 + 4, sub)), total0);
                total1 = sum1.fma(FloatVector.broadcast(S, d1 * PackedScales.scale(q, at1 + 4, sub)), total1);
                float xSum = xSums[sumsAt + b * (SIZE / SUB) + sub];
                minimums0 += dmin0 * PackedScales.min(q, at0 + 4, sub) * xSum;
                minimums1 += dmin1 * PackedScales.min(q, at1 + 4, sub) * xSum;
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

    @Override
    public void times(int m, float[] dy, int dyOff, int lddy, QuantizedMatrix w, float[] dx, int dxOff, int lddx,
                      boolean accumulate, int fromBlock, int toBlock) {
        PLAIN.times(m, dy, dyOff, lddy, w, dx, dxOff, lddx, accumulate, fromBlock, toBlock);
    }
}
