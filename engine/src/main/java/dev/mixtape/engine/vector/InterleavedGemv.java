package dev.mixtape.engine.vector;

import dev.mixtape.engine.quant.InterleavedQ4_0Format;
import dev.mixtape.engine.quant.InterleavedQ8_0Format;
import dev.mixtape.engine.quant.QuantizedMatrix;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * What the kernels of the interleaved formats ({@link InterleavedQ8_0Format}, {@link InterleavedQ4_0Format})
 * share: a group of eight blocks is summed in the eight lanes of a vector of floats, one lane per block,
 * against x rearranged once per product so that its element {@code 32j + k} is at {@code 8k + j} of
 * the group; after a group's sums ({@link #sums4}, the format's own loop) its eight scales are
 * converted together and applied by one FMA ({@link #scaledSum}), and a row's eight lanes are added
 * up once at its end, in a fixed order. Rows go four at a time ({@link QuantizedRows}). The kernels work on 8 lanes at
 * any vector width, as the layout groups 8 blocks (a 256-bit vector, native on AVX2 and AVX-512). The
 * gradient {@code dY·W} decodes each group by its format and adds it. Loaded only when the Vector API
 * is present, used where the preferred floats have at least 8 lanes ({@link QuantizedProducts#forDecoding}).
 */
abstract class InterleavedGemv implements QuantizedGemv {
    /** The floats of one lane per block. */
    static final VectorSpecies<Float> LANES = FloatVector.SPECIES_256;
    /** A run of 32 bytes, read as eight ints: four or eight elements of each of the eight blocks. */
    static final VectorSpecies<Byte> RUN_BYTES = ByteVector.SPECIES_256;
    /** The blocks of a group, lanes of {@link #LANES}. */
    static final int GROUP = 8;
    /** The elements of a block. */
    static final int BLOCK = 32;
    /** The elements of a group. */
    static final int SIZE = GROUP * BLOCK;
    /** Where a group's quants start, after its eight f16 scales. */
    static final int QUANTS = 2 * GROUP;
    /** The bytes of a run. */
    static final int RUN = 32;
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_256;
    private static final VectorSpecies<Byte> SIXTEEN_BYTES = ByteVector.SPECIES_128;
    /** 2^112: a half's exponent and mantissa read as a float's low bits, times this, are the half's value. */
    private static final float HALF_TO_FLOAT = 0x1p112f;
    /** A sign-extended half shifted left by 13: the float bits that hold its sign, exponent and mantissa. */
    private static final int SIGN_EXPONENT_MANTISSA = 0x8FFFE000;
    private static final QuantizedGemv PLAIN = new ScalarQuantizedGemv();

    /**
     * The sums of each block of rows {@code r, r + spread, r + 2·spread, r + 3·spread} of W (r's groups
     * from {@code row} in {@code q}, the others {@code byteSpread} bytes apart) with one rearranged
     * activation row ({@link #interleave}), unscaled: group g's eight block sums of row i at
     * {@code sums[(4g + i)·8 ..]}. With a spread of 0 the one row is read four times. Kept apart from
     * the scales so that the loop stays within what C2 inlines whole (a helper it declines to inline
     * boxes the vectors it returns, once per call).
     */
    abstract void sums4(byte[] q, int row, int byteSpread, int groups, float[] lanes, float[] sums);

    @Override
    public void timesTransposed(int m, float[] x, int xOff, int ldx, QuantizedMatrix w, float[] y, int yOff, int ldy,
                                boolean accumulate, int fromRow, int toRow) {
        HeapBlocks heap = HeapBlocks.of(w.blocks());
        if (heap == null) {
            PLAIN.timesTransposed(m, x, xOff, ldx, w, y, yOff, ldy, accumulate, fromRow, toRow);
            return;
        }
        int rowBytes = (int) w.rowBytes();
        int groupBytes = w.format().blockBytes();
        int groups = w.blocksPerRow();
        float[] lanes = new float[w.cols()];
        float[] sums = new float[4 * GROUP * groups];
        float[] total = new float[GROUP];
        int quarter = QuantizedRows.quarter(fromRow, toRow);
        for (int i = 0; i < m; i++) {
            interleave(x, xOff + i * ldx, groups, lanes);
            for (int g = 0; g < QuantizedRows.groups(fromRow, toRow); g++) {
                int r = QuantizedRows.firstRow(g, fromRow, quarter);
                int spread = QuantizedRows.spread(g, quarter);
                int first = heap.base() + r * rowBytes;
                sums4(heap.bytes(), first, spread * rowBytes, groups, lanes, sums);
                for (int row = 0; row < (spread > 0 ? 4 : 1); row++) {
                    float dot = scaledSum(heap.bytes(), first + row * spread * rowBytes, groups, groupBytes, sums, row, total);
                    QuantizedRows.store(y, yOff + i * ldy + r + row * spread, accumulate, dot);
                }
            }
        }
    }

    /** Row {@code from} of x with each group's element {@code 32j + k} moved to {@code 8k + j}, as the kernels read it. */
    private static void interleave(float[] x, int from, int groups, float[] lanes) {
        for (int g = 0; g < groups; g++) {
            int at = g * SIZE;
            for (int j = 0; j < GROUP; j++) {
                for (int k = 0; k < BLOCK; k++) {
                    lanes[at + GROUP * k + j] = x[from + at + BLOCK * j + k];
                }
            }
        }
    }

    /**
     * Row {@code i} of a group of four's block sums ({@link #sums4}) times the scales of the row at
     * {@code row}, added up: the eight lanes in a fixed order ({@code lanes} holds them), the same in
     * compiled code and in the Java the Vector API falls back to, so that a row's product does not
     * depend on which rows or threads it was computed with.
     */
    private static float scaledSum(byte[] q, int row, int groups, int groupBytes, float[] sums, int i, float[] lanes) {
        FloatVector total = FloatVector.zero(LANES);
        for (int g = 0; g < groups; g++) {
            FloatVector blockSums = FloatVector.fromArray(LANES, sums, (4 * g + i) * GROUP);
            total = blockSums.fma(scales(q, row + g * groupBytes), total);
        }
        total.intoArray(lanes, 0);
        return ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
    }

    /**
     * The eight finite IEEE halves at {@code at} of {@code q} as floats, exactly as {@link Float#float16ToFloat}
     * widens each (the interleaved formats hold finite scales only): shifted left by 13, a half's
     * exponent and mantissa sit at a float's bit positions and, sign extended, its sign at the top;
     * read as a float that is the half's value times 2^-112, so multiplying by 2^112 rebases the
     * exponent, makes a subnormal half normal and keeps the sign, zeros included.
     */
    static FloatVector scales(byte[] q, int at) {
        IntVector halves = (IntVector) ByteVector.fromArray(SIXTEEN_BYTES, q, at).reinterpretAsShorts()
                .convertShape(VectorOperators.S2I, INTS, 0);
        return halves.lanewise(VectorOperators.LSHL, 13).and(SIGN_EXPONENT_MANTISSA).reinterpretAsFloats().mul(HALF_TO_FLOAT);
    }

    @Override
    public void times(int m, float[] dy, int dyOff, int lddy, QuantizedMatrix w, float[] dx, int dxOff, int lddx,
                      boolean accumulate, int fromBlock, int toBlock) {
        if (!accumulate) {
            for (int i = 0; i < m; i++) {
                Arrays.fill(dx, dxOff + i * lddx + fromBlock * SIZE, dxOff + i * lddx + toBlock * SIZE, 0f);
            }
        }
        float[] weights = new float[SIZE];
        for (int r = 0; r < w.rows(); r++) {
            for (int g = fromBlock; g < toBlock; g++) {
                w.format().dequantizeBlock(w.blocks(), w.blockOffset(r, g), weights, 0);
                for (int i = 0; i < m; i++) {
                    FloatVector grad = FloatVector.broadcast(LANES, dy[dyOff + i * lddy + r]);
                    int out = dxOff + i * lddx + g * SIZE;
                    for (int c = 0; c < SIZE; c += GROUP) {
                        FloatVector.fromArray(LANES, weights, c).fma(grad, FloatVector.fromArray(LANES, dx, out + c))
                                .intoArray(dx, out + c);
                    }
                }
            }
        }
    }
}
