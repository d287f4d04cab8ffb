package dev.mixtape.engine.vector;

import dev.mixtape.engine.FrozenWeights;
import dev.mixtape.engine.Storage;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * {@link SimdRowPairGemv}'s product of four rows or more, {@code C = A·Bᵀ}, when the weights are
 * {@link FrozenWeights}: B is copied once into panels of {@code 2·L} output columns ({@code L} the
 * vector's lanes) with the columns side by side, and each panel is multiplied by four rows at a time
 * as a small GEMM (a broadcast activation times a vector of columns, eight accumulators, both operands
 * read from one sequential stream each). The dot-product kernels spend as many instructions on six
 * streams' addresses and on folding lanes as on FMAs; this one does 1.2 to 1.6 times their multiply-adds
 * per second at 16 rows (stories15M's shapes, one core). Each lane's chain is done for every block of
 * rows before the next lane's, so that each stretch of a panel read from memory serves all rows from
 * the L1 cache. Where vectors are 512 bits wide, panels go two at a time ({@link #chainPair}): two
 * streams from memory instead of one, 1.25 to 1.3 times the multiply-adds per second at 8 and 16 rows
 * with the weights beyond the cache (an Intel AVX-512 host, one core).
 *
 * <p>Every output is still summed exactly as {@link SimdGemv#dot4} sums it. There, lane {@code l} of
 * a column's accumulator takes the products of {@code k}-positions {@code l, l + L, l + 2L, ...} by
 * FMA in that order, a scalar tail adds into lane 0, and the lanes are folded in halves. Here the
 * panel stores each column's positions grouped by lane ({@code l}'s positions in order, then
 * {@code l + 1}'s), so that one pass over a group is that lane's FMA chain for all columns at once;
 * the tail is added to lane 0's chain, and the {@code L} chains are folded in the same halves, as
 * vectors of columns. So a row's outputs are bit for bit those of the one-row product.
 */
final class SimdPanelGemv {
    private static final VectorSpecies<Float> S = VectorWidth.FLOATS;
    /** Lanes of a vector, the number of FMA chains each output is summed in. */
    private static final int L = S.length();
    /** Output columns per panel: two vectors. */
    static final int PANEL = 2 * L;
    /** Rows multiplied against a panel at a time. */
    static final int ROWS = 4;
    /** Shortest rows worth a panel: below, k has fewer than four full vectors (adapters' rank-r products). */
    static final int MIN_K = 4 * L;
    /**
     * Whether panels go two at a time ({@link #chainPair}): where vectors are 512 bits wide, whose
     * instruction sets have 32 vector registers. Below, sixteen accumulators would spill.
     */
    private static final boolean PAIRS = L >= 16;
    /** What {@link FrozenWeights} keeps for an array that is not one of its weights. */
    private static final Object NOT_FROZEN = new Object();

    private SimdPanelGemv() {
    }

    /**
     * Columns {@code fromCol..toCol-1} (whole panels) of {@code C [m, n] (+)= A [m, k] · B [n, k]ᵀ}, B
     * row-major from {@code bOff} with row length {@code ldb}, if B is one of {@code frozen}'s weights;
     * false, nothing done, if it is not.
     */
    static boolean rowsTimesTransposed(FrozenWeights frozen, int m, int k, float[] a, int aOff, int lda, float[] b, int bOff,
                                       int ldb, float[] c, int cOff, int ldc, boolean accumulate, int fromCol, int toCol) {
        if (!(frozen.copyOf(b, () -> isFrozen(frozen, b) ? new Panels() : NOT_FROZEN) instanceof Panels panels)) {
            return false;
        }
        float[] packedRows = packRows(m, k, a, aOff, lda);
        int blocks = Math.ceilDiv(m, ROWS);
        int chain = S.loopBound(k) / L;
        int panelChains = blocks * ROWS * L * PANEL;
        float[] chains = new float[(PAIRS ? 2 : 1) * panelChains];
        MatrixPanels matrix = panels.of(b, bOff, ldb, k);
        int end = toCol / PANEL;
        for (int panel = fromCol / PANEL; panel < end; ) {
            int count = PAIRS && panel + 1 < end ? 2 : 1;
            float[] first = matrix.panel(panel);
            float[] second = count == 2 ? matrix.panel(panel + 1) : null;
            for (int l = 0; l < L; l++) {
                for (int block = 0; block < blocks; block++) {
                    int r = block * ROWS * k + l * chain * ROWS;
                    int out = block * ROWS * L * PANEL + l * PANEL;
                    if (second != null) {
                        chainPair(chain, packedRows, r, first, second, l * chain * PANEL, chains, out, panelChains + out);
                    } else {
                        chain(chain, packedRows, r, first, l * chain * PANEL, chains, out);
                    }
                }
            }
            for (int block = 0; block < blocks; block++) {
                int rows = Math.min(ROWS, m - block * ROWS);
                int cAt = cOff + block * ROWS * ldc + panel * PANEL;
                for (int q = 0; q < count; q++) {
                    fold(k, rows, packedRows, block * ROWS * k, q == 0 ? first : second, chains,
                            q * panelChains + block * ROWS * L * PANEL, c, cAt + q * PANEL, ldc, accumulate);
                }
            }
            panel += count;
        }
        return true;
    }

    /** Whether {@code array} is the array behind one of {@code frozen}'s weights. */
    private static boolean isFrozen(FrozenWeights frozen, float[] array) {
        for (Storage storage : frozen.storages()) {
            if (storage instanceof HeapStorage heap && heap.data() == array) {
                return true;
            }
        }
        return false;
    }

    /**
     * Where position {@code t} of a row of length {@code k} goes in a packed row: the vector part
     * grouped by lane ({@code t mod L}), in order within a group, then the tail in order.
     */
    private static int packedPosition(int t, int k) {
        int bound = S.loopBound(k);
        return t < bound ? (t % L) * (bound / L) + t / L : t;
    }

    /**
     * The rows of A in blocks of {@link #ROWS}, each block position by position ({@link #packedPosition})
     * with its four rows' values side by side; the last block padded with zero rows.
     */
    private static float[] packRows(int m, int k, float[] a, int aOff, int lda) {
        float[] packed = new float[Math.ceilDiv(m, ROWS) * ROWS * k];
        int bound = S.loopBound(k);
        int chain = bound / L;
        for (int i = 0; i < m; i++) {
            int to = i / ROWS * ROWS * k + i % ROWS;
            int row = aOff + i * lda;
            for (int l = 0; l < L; l++) {
                for (int q = 0; q < chain; q++) {
                    packed[to + (l * chain + q) * ROWS] = a[row + q * L + l];
                }
            }
            for (int t = bound; t < k; t++) {
                packed[to + t * ROWS] = a[row + t];
            }
        }
        return packed;
    }

    /**
     * One lane's chain: {@code length} positions of four rows times a panel's two column vectors,
     * each accumulator taking its FMAs in order of position; stored at {@code out} for the first
     * row, one lane group ({@code L · PANEL}) further for each next row.
     */
    private static void chain(int length, float[] rows, int r, float[] weights, int w, float[] chains, int out) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        int end = w + length * PANEL;
        for (; w < end; w += PANEL, r += ROWS) {
            FloatVector w0 = FloatVector.fromArray(S, weights, w);
            FloatVector w1 = FloatVector.fromArray(S, weights, w + L);
            FloatVector x = FloatVector.broadcast(S, rows[r]);
            c00 = x.fma(w0, c00);
            c01 = x.fma(w1, c01);
            x = FloatVector.broadcast(S, rows[r + 1]);
            c10 = x.fma(w0, c10);
            c11 = x.fma(w1, c11);
            x = FloatVector.broadcast(S, rows[r + 2]);
            c20 = x.fma(w0, c20);
            c21 = x.fma(w1, c21);
            x = FloatVector.broadcast(S, rows[r + 3]);
            c30 = x.fma(w0, c30);
            c31 = x.fma(w1, c31);
        }
        int row = L * PANEL;
        c00.intoArray(chains, out);
        c01.intoArray(chains, out + L);
        c10.intoArray(chains, out + row);
        c11.intoArray(chains, out + row + L);
        c20.intoArray(chains, out + 2 * row);
        c21.intoArray(chains, out + 2 * row + L);
        c30.intoArray(chains, out + 3 * row);
        c31.intoArray(chains, out + 3 * row + L);
    }

    /**
     * {@link #chain} for two panels at once, {@code first}'s chains stored at {@code out} and
     * {@code second}'s at {@code outSecond}: sixteen accumulators, which only 32 vector registers
     * hold ({@link #PAIRS}). Each weight vector still serves four FMAs, but each broadcast activation
     * eight, and the two panels are two streams from memory instead of one.
     */
    private static void chainPair(int length, float[] rows, int r, float[] first, float[] second, int w, float[] chains,
                                  int out, int outSecond) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = c00;
        FloatVector c02 = c00;
        FloatVector c03 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c12 = c00;
        FloatVector c13 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c22 = c00;
        FloatVector c23 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c32 = c00;
        FloatVector c33 = c00;
        int end = w + length * PANEL;
        for (; w < end; w += PANEL, r += ROWS) {
            FloatVector w0 = FloatVector.fromArray(S, first, w);
            FloatVector w1 = FloatVector.fromArray(S, first, w + L);
            FloatVector w2 = FloatVector.fromArray(S, second, w);
            FloatVector w3 = FloatVector.fromArray(S, second, w + L);
            FloatVector x = FloatVector.broadcast(S, rows[r]);
            c00 = x.fma(w0, c00);
            c01 = x.fma(w1, c01);
            c02 = x.fma(w2, c02);
            c03 = x.fma(w3, c03);
            x = FloatVector.broadcast(S, rows[r + 1]);
            c10 = x.fma(w0, c10);
            c11 = x.fma(w1, c11);
            c12 = x.fma(w2, c12);
            c13 = x.fma(w3, c13);
            x = FloatVector.broadcast(S, rows[r + 2]);
            c20 = x.fma(w0, c20);
            c21 = x.fma(w1, c21);
            c22 = x.fma(w2, c22);
            c23 = x.fma(w3, c23);
            x = FloatVector.broadcast(S, rows[r + 3]);
            c30 = x.fma(w0, c30);
            c31 = x.fma(w1, c31);
            c32 = x.fma(w2, c32);
            c33 = x.fma(w3, c33);
        }
        int row = L * PANEL;
        c00.intoArray(chains, out);
        c01.intoArray(chains, out + L);
        c10.intoArray(chains, out + row);
        c11.intoArray(chains, out + row + L);
        c20.intoArray(chains, out + 2 * row);
        c21.intoArray(chains, out + 2 * row + L);
        c30.intoArray(chains, out + 3 * row);
        c31.intoArray(chains, out + 3 * row + L);
        c02.intoArray(chains, outSecond);
        c03.intoArray(chains, outSecond + L);
        c12.intoArray(chains, outSecond + row);
        c13.intoArray(chains, outSecond + row + L);
        c22.intoArray(chains, outSecond + 2 * row);
        c23.intoArray(chains, outSecond + 2 * row + L);
        c32.intoArray(chains, outSecond + 3 * row);
        c33.intoArray(chains, outSecond + 3 * row + L);
    }

    /**
     * For each of the block's first {@code rows} rows and each column vector: the scalar tail added
     * to lane 0's chain (a product, then a sum, as {@link SimdGemv#dot4}'s tail), the chains folded in
     * halves as {@link SimdMath#sumLanes(float[], int)} folds lanes, and the result stored into C.
     */
    private static void fold(int k, int rows, float[] packedRows, int rowsAt, float[] weights, float[] chains, int chainsAt,
                             float[] c, int cAt, int ldc, boolean accumulate) {
        int bound = S.loopBound(k);
        for (int i = 0; i < rows; i++) {
            int base = chainsAt + i * L * PANEL;
            for (int half = 0; half < PANEL; half += L) {
                int at = base + half;
                FloatVector first = FloatVector.fromArray(S, chains, at);
                for (int t = bound; t < k; t++) {
                    FloatVector x = FloatVector.broadcast(S, packedRows[rowsAt + t * ROWS + i]);
                    first = first.add(x.mul(FloatVector.fromArray(S, weights, t * PANEL + half)));
                }
                FloatVector sum = foldChains(first, chains, at);
                int to = cAt + i * ldc + half;
                if (accumulate) {
                    sum = FloatVector.fromArray(S, c, to).add(sum);
                }
                sum.intoArray(c, to);
            }
        }
    }

    /**
     * The {@code L} chains at {@code chains[at + l·PANEL]} (lane 0's given as {@code first}) summed in
     * halves, as {@link SimdMath#sumLanes(float[], int)} sums lanes: written out for eight lanes, in
     * registers; a loop through the array otherwise.
     */
    private static FloatVector foldChains(FloatVector first, float[] chains, int at) {
        if (L == 8) {
            FloatVector c1 = FloatVector.fromArray(S, chains, at + PANEL);
            FloatVector c2 = FloatVector.fromArray(S, chains, at + 2 * PANEL);
            FloatVector c3 = FloatVector.fromArray(S, chains, at + 3 * PANEL);
            FloatVector c4 = FloatVector.fromArray(S, chains, at + 4 * PANEL);
            FloatVector c5 = FloatVector.fromArray(S, chains, at + 5 * PANEL);
            FloatVector c6 = FloatVector.fromArray(S, chains, at + 6 * PANEL);
            FloatVector c7 = FloatVector.fromArray(S, chains, at + 7 * PANEL);
            return first.add(c4).add(c2.add(c6)).add(c1.add(c5).add(c3.add(c7)));
        }
        first.intoArray(chains, at);
        for (int width = L / 2; width > 0; width /= 2) {
            for (int l = 0; l < width; l++) {
                FloatVector.fromArray(S, chains, at + l * PANEL)
                        .add(FloatVector.fromArray(S, chains, at + (l + width) * PANEL))
                        .intoArray(chains, at + l * PANEL);
            }
        }
        return FloatVector.fromArray(S, chains, at);
    }

    /**
     * The panels of one weight array, made on first use: for each way the array is read as a matrix
     * (offset, row length, k), its {@link MatrixPanels}.
     */
    static final class Panels {
        private final ConcurrentHashMap<Layout, MatrixPanels> layouts = new ConcurrentHashMap<>();

        private record Layout(int bOff, int ldb, int k) {
        }

        /** The panels of {@code b} read as a matrix from {@code bOff}, rows {@code ldb} apart, {@code k} long: looked up once per call, not per panel. */
        MatrixPanels of(float[] b, int bOff, int ldb, int k) {
            return layouts.computeIfAbsent(new Layout(bOff, ldb, k), layout -> new MatrixPanels(b, bOff, ldb, k));
        }
    }

    /**
     * One reading of a weight array as a matrix: its columns {@code PANEL·p ..} as rows of
     * {@link #packedPosition}s, each position's {@code PANEL} columns side by side, each panel packed
     * on first use.
     */
    static final class MatrixPanels {
        private final float[] b;
        private final int bOff;
        private final int ldb;
        private final int k;
        private final AtomicReferenceArray<float[]> panels;

        private MatrixPanels(float[] b, int bOff, int ldb, int k) {
            this.b = b;
            this.bOff = bOff;
            this.ldb = ldb;
            this.k = k;
            this.panels = new AtomicReferenceArray<>(((b.length - bOff - k) / ldb + 1) / PANEL);
        }

        float[] panel(int panel) {
            float[] packed = panels.get(panel);
            if (packed == null) {
                packed = pack(panel);
                if (!panels.compareAndSet(panel, null, packed)) {
                    packed = panels.get(panel);
                }
            }
            return packed;
        }

        private float[] pack(int panel) {
            float[] packed = new float[k * PANEL];
            for (int col = 0; col < PANEL; col++) {
                int row = bOff + (panel * PANEL + col) * ldb;
                for (int t = 0; t < k; t++) {
                    packed[packedPosition(t, k) * PANEL + col] = b[row + t];
                }
            }
            return packed;
        }
    }
}
