package dev.mixtape.engine.vector;

import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Causal attention on the Vector backend, each matrix of the stacks (a sequence's kv head and the
 * query heads that share it) computed by one thread from start to end while its operands sit in that
 * core's cache. For stories15M's training shape a head's q, k and v are 48 KiB each and its
 * probabilities 256 KiB; run product by product over the whole stack instead (the
 * {@link dev.mixtape.engine.Backend} default), a layer's 12 MiB of scores go through memory several
 * times, and every product is a parallel job of its own.
 *
 * <p>Forward, block by block of {@link #BLOCK_ROWS} query rows: the scores {@code q·kᵀ} over the keys
 * the block's rows see, each row's masked softmax, and {@code P·v}, while the block's scores are in
 * L1. k and v are packed for the {@link MicroKernel} once per head. Backward, in two phases:
 * <ul>
 *   <li>by query rows: {@code dP = dO·vᵀ}, turned in place into
 *       {@code dS = P ⊙ (dP − rowsum(dP ⊙ P))} row by row, then {@code dQ = dS·k};</li>
 *   <li>by keys, a kernel's width of them at a time: {@code dVᵀ = dOᵀ·P} and {@code dKᵀ = qᵀ·dS},
 *       each summed only over the rows that see those keys, from a packed copy of that slice of P
 *       or dS and the small operands (dO and q, d × rows) transposed once per head.</li>
 * </ul>
 * A stack of fewer matrices than a few per thread (the prompt of one sequence) is cut into ranges
 * of query rows (forward, first phase) and of keys (second phase), so that every thread has work.
 * One instance may be used by several threads at once.
 *
 * <p>Called without a probabilities stack, the forward keeps only the block of probabilities it is
 * working on, and the backward computes them again, block by block as the forward did and so to the
 * same bits, into a stack it holds for the call: a training step then keeps q, k and v per layer for
 * the backward pass instead of a {@code [rows, keys]} matrix per kv head as well (SmolLM2-135M's
 * shape: 9.4 MB a layer), at the price of a second {@code q·kᵀ} and softmax.
 */
final class FusedAttention {
    /** Query rows whose scores are computed, normalised and multiplied by v while in L1: 32 rows of 256 keys are 32 KiB. */
    private static final int BLOCK_ROWS = 32;
    /** Units of work per thread wanted before a head is cut into ranges, so that a slowed thread's share is taken over. */
    private static final int UNITS_PER_THREAD = 4;
    /** Rows transposed together: 16 floats fill a 64-byte cache line of the destination. */
    private static final int TRANSPOSE_STRIP = 16;

    private final Parallel parallel;
    private final MicroKernel kernel;
    private final ArrayKernels kernels;
    private final BufferPool scoreGradients = new BufferPool();
    private final BufferPool recomputedProbabilities = new BufferPool();
    private final ConcurrentLinkedQueue<Scratch> idleScratch = new ConcurrentLinkedQueue<>();

    FusedAttention(Parallel parallel, MicroKernel kernel, ArrayKernels kernels) {
        this.parallel = parallel;
        this.kernel = kernel;
        this.kernels = kernels;
    }

    /**
     * The sizes of one call: {@code matrices} stacked matrices, each of {@code rows} query rows (the
     * {@code rows / seq} query heads of a kv head, {@code seq} positions each from
     * {@code positionOffset}) against {@code keys} keys and values of head size {@code d}.
     */
    record Shape(int matrices, int rows, int keys, int d, int seq, int positionOffset) {
        /** How many keys query row {@code row} sees: those up to its position. */
        int visible(int row) {
            return Math.min(keys, row % seq + positionOffset + 1);
        }

        /** How many keys the rows {@code [from, to)} see together. */
        int visible(int from, int to) {
            return (to - 1) / seq > from / seq ? Math.min(keys, seq + positionOffset) : visible(to - 1);
        }

        /** The first of query head {@code member}'s rows that sees key {@code key}, or the end of its rows when none does. */
        int firstRowSeeing(int member, int key) {
            return member * seq + Math.min(seq, Math.max(0, key - positionOffset));
        }
    }

    /**
     * {@code probabilities = softmax(mask(q·kᵀ))} and {@code out = probabilities·v}, for stacks
     * {@code q, out [rows, d]}, {@code k, v [keys, d]} and {@code probabilities [rows, keys]} (zeros
     * where masked), all with unit column stride; a null {@code probabilities} is not kept (see the
     * class comment).
     */
    void forward(Shape shape, StridedMatrix q, StridedMatrix k, StridedMatrix v, StridedMatrix probabilities, StridedMatrix out) {
        int parts = partsPerMatrix(shape);
        int rowsPerPart = roundUp(ceilDiv(shape.rows(), parts), kernel.rows());
        forEachUnit(shape.matrices() * parts, (unit, scratch) -> {
            int t = unit / parts;
            int r0 = unit % parts * rowsPerPart;
            int r1 = Math.min(shape.rows(), r0 + rowsPerPart);
            if (r0 < r1) {
                forwardRows(shape, t, r0, r1, q, k, v, probabilities, out, scratch);
            }
        });
    }

    /**
     * The gradients {@code dQ, dK, dV} (each written whole; null ones are skipped) of the forward's
     * inputs, from its {@code probabilities} (null: computed again from q and k) and the output's
     * gradient {@code dOut [rows, d]}.
     */
    void backward(Shape shape, StridedMatrix q, StridedMatrix k, StridedMatrix v, StridedMatrix probabilities, StridedMatrix dOut,
                  StridedMatrix dQ, StridedMatrix dK, StridedMatrix dV) {
        boolean needScores = dQ != null || dK != null;
        boolean recompute = probabilities == null;
        int matrixSize = shape.rows() * shape.keys();
        float[] dScoresData = needScores ? scoreGradients.take(shape.matrices() * matrixSize) : null;
        StridedMatrix dScores = needScores ? new StridedMatrix("dS", dScoresData, 0, matrixSize, shape.keys(), 1) : null;
        float[] recomputedData = recompute ? recomputedProbabilities.take(shape.matrices() * matrixSize) : null;
        StridedMatrix p = recompute ? new StridedMatrix("probabilities", recomputedData, 0, matrixSize, shape.keys(), 1) : probabilities;
        boolean rowsPhase = needScores || recompute;
        int parts = partsPerMatrix(shape);
        try {
            if (parts == 1) {
                forEachUnit(shape.matrices(), (t, scratch) -> {
                    if (rowsPhase) {
                        backwardRows(shape, t, 0, shape.rows(), q, k, v, p, recompute, dOut, dScores, dQ, scratch);
                    }
                    backwardKeys(shape, t, 0, shape.keys(), q, p, dOut, dScores, dK, dV, scratch);
                });
                return;
            }
            if (rowsPhase) {
                int rowsPerPart = roundUp(ceilDiv(shape.rows(), parts), kernel.rows());
                forEachUnit(shape.matrices() * parts, (unit, scratch) -> {
                    int r0 = unit % parts * rowsPerPart;
                    int r1 = Math.min(shape.rows(), r0 + rowsPerPart);
                    if (r0 < r1) {
                        backwardRows(shape, unit / parts, r0, r1, q, k, v, p, recompute, dOut, dScores, dQ, scratch);
                    }
                });
            }
            int keysPerPart = roundUp(ceilDiv(shape.keys(), parts), kernel.cols());
            forEachUnit(shape.matrices() * parts, (unit, scratch) -> {
                int c0 = unit % parts * keysPerPart;
                int c1 = Math.min(shape.keys(), c0 + keysPerPart);
                if (c0 < c1) {
                    backwardKeys(shape, unit / parts, c0, c1, q, p, dOut, dScores, dK, dV, scratch);
                }
            });
        } finally {
            if (dScoresData != null) {
                scoreGradients.give(dScoresData);
            }
            if (recomputedData != null) {
                recomputedProbabilities.give(recomputedData);
            }
        }
    }

    /**
     * Rows {@code [r0, r1)} of matrix t; with null {@code probabilities}, each block of rows goes
     * through the thread's scratch block ({@link #blockOfRows}).
     */
    private void forwardRows(Shape shape, int t, int r0, int r1, StridedMatrix q, StridedMatrix k, StridedMatrix v,
                             StridedMatrix probabilities, StridedMatrix out, Scratch scratch) {
        int seen = shape.visible(r0, r1);
        float[] keysAsColumns = packAsColumns(k, t, seen, shape.d(), Buffer.KEYS_AS_COLUMNS, scratch);
        float[] keysAsRows = packAsRows(v, t, seen, shape.d(), scratch);
        for (int b0 = r0; b0 < r1; b0 += BLOCK_ROWS) {
            int b1 = Math.min(r1, b0 + BLOCK_ROWS);
            StridedMatrix p = probabilities == null ? blockOfRows(shape, b0, scratch) : probabilities;
            probabilities(shape, q, t, b0, b1, keysAsColumns, p, scratch);
            weighted(shape, p, t, b0, b1, keysAsRows, seen, out, scratch);
        }
    }

    /**
     * Rows {@code [b0, b1)} of matrix t of {@code probabilities}: the scores {@code q·kᵀ} over the keys
     * packed as columns, then each row's masked softmax. The forward and the backward's recomputation
     * both run this, on the same blocks, so that they give the same bits.
     */
    private void probabilities(Shape shape, StridedMatrix q, int t, int b0, int b1, float[] keysAsColumns, StridedMatrix probabilities,
                               Scratch scratch) {
        float[] p = probabilities.data();
        scores(shape, q, t, b0, b1, keysAsColumns, probabilities, scratch);
        for (int r = b0; r < b1; r++) {
            int row = probabilities.index(t, r, 0);
            int visible = shape.visible(r);
            int computed = computedColumns(shape, visible);
            Arrays.fill(p, row + visible, row + computed, Float.NEGATIVE_INFINITY);
            kernels.softmax(p, row, p, row, computed, shape.keys());
        }
    }

    /**
     * A thread's scratch block of {@link #BLOCK_ROWS} rows of probabilities, addressed as rows
     * {@code [b0, b0 + BLOCK_ROWS)} of any matrix of the stack (hence the negative offset).
     */
    private StridedMatrix blockOfRows(Shape shape, int b0, Scratch scratch) {
        float[] block = scratch.get(Buffer.PROBABILITY_BLOCK, BLOCK_ROWS * shape.keys());
        return new StridedMatrix("probabilities", block, -b0 * shape.keys(), 0, shape.keys(), 1);
    }

    /**
     * First phase, rows {@code [r0, r1)}: with {@code recompute}, their probabilities again; when
     * {@code dScores} is given, their score gradients dS and, when wanted, their dQ.
     */
    private void backwardRows(Shape shape, int t, int r0, int r1, StridedMatrix q, StridedMatrix k, StridedMatrix v,
                              StridedMatrix probabilities, boolean recompute, StridedMatrix dOut, StridedMatrix dScores,
                              StridedMatrix dQ, Scratch scratch) {
        int seen = shape.visible(r0, r1);
        float[] keysAsColumns = recompute ? packAsColumns(k, t, seen, shape.d(), Buffer.KEYS_AS_COLUMNS, scratch) : null;
        float[] valuesAsColumns = dScores == null ? null : packAsColumns(v, t, seen, shape.d(), Buffer.VALUES_AS_COLUMNS, scratch);
        float[] keysAsRows = dQ == null ? null : packAsRows(k, t, seen, shape.d(), scratch);
        float[] p = probabilities.data();
        float[] ds = dScores == null ? null : dScores.data();
        for (int b0 = r0; b0 < r1; b0 += BLOCK_ROWS) {
            int b1 = Math.min(r1, b0 + BLOCK_ROWS);
            if (recompute) {
                probabilities(shape, q, t, b0, b1, keysAsColumns, probabilities, scratch);
            }
            if (dScores == null) {
                continue;
            }
            scores(shape, dOut, t, b0, b1, valuesAsColumns, dScores, scratch);
            for (int r = b0; r < b1; r++) {
                int computed = computedColumns(shape, shape.visible(r));
                int pRow = probabilities.index(t, r, 0);
                int sRow = dScores.index(t, r, 0);
                kernels.softmaxBackward(p, pRow, ds, sRow, ds, sRow, computed);
                Arrays.fill(ds, sRow + computed, sRow + shape.keys(), 0f);
            }
            if (dQ != null) {
                weighted(shape, dScores, t, b0, b1, keysAsRows, seen, dQ, scratch);
            }
        }
    }

    /** Second phase: rows {@code [c0, c1)} of dK and dV, kernel-width slices of keys at a time. */
    private void backwardKeys(Shape shape, int t, int c0, int c1, StridedMatrix q, StridedMatrix probabilities, StridedMatrix dOut,
                              StridedMatrix dScores, StridedMatrix dK, StridedMatrix dV, Scratch scratch) {
        float[] dOutT = dV == null ? null : transposed(shape, dOut, t, scratch.get(Buffer.TRANSPOSED_D_OUT, transposedSize(shape)));
        float[] qT = dK == null ? null : transposed(shape, q, t, scratch.get(Buffer.TRANSPOSED_Q, transposedSize(shape)));
        for (int col0 = c0; col0 < c1; col0 += kernel.cols()) {
            int cols = Math.min(kernel.cols(), c1 - col0);
            if (dV != null) {
                keyGradient(shape, dOutT, probabilities, t, col0, cols, dV, scratch);
            }
            if (dK != null) {
                keyGradient(shape, qT, dScores, t, col0, cols, dK, scratch);
            }
        }
    }

    /**
     * The columns of a row that {@link #scores} computes: its keys, rounded up to the kernel's width.
     * The row's softmax and softmax gradient run over all of them, so that their loops see whole
     * vectors (no scalar tail): the forward first masks the scores beyond the row's keys with −∞,
     * which the softmax turns into zero probabilities, and the backward then finds zero
     * probabilities there, which make zero gradients.
     */
    private int computedColumns(Shape shape, int visible) {
        return Math.min(shape.keys(), roundUp(visible, kernel.cols()));
    }

    /**
     * Rows {@code [b0, b1)} of matrix t of {@code scores [rows, keys]} = the same rows of
     * {@code a [rows, d]} times the keys packed as columns, each tile over the keys its rows see.
     */
    private void scores(Shape shape, StridedMatrix a, int t, int b0, int b1, float[] keysAsColumns, StridedMatrix scores,
                        Scratch scratch) {
        int mr = kernel.rows();
        int nr = kernel.cols();
        int d = shape.d();
        for (int col0 = 0; col0 < shape.visible(b0, b1); col0 += nr) {
            for (int i0 = b0; i0 < b1; i0 += mr) {
                int tileRows = Math.min(mr, b1 - i0);
                if (col0 < shape.visible(i0, i0 + tileRows)) {
                    tile(a, t, i0, tileRows, d, keysAsColumns, col0 * d, scores, col0, shape.keys(), scratch);
                }
            }
        }
    }

    /**
     * Rows {@code [b0, b1)} of matrix t of {@code out [rows, d]} = the same rows of
     * {@code weights [rows, keys]} (zero beyond the keys each row sees) times {@code seen} keys packed
     * as rows, each tile over the keys its rows see.
     */
    private void weighted(Shape shape, StridedMatrix weights, int t, int b0, int b1, float[] keysAsRows, int seen, StridedMatrix out,
                          Scratch scratch) {
        int mr = kernel.rows();
        int d = shape.d();
        for (int col0 = 0; col0 < d; col0 += kernel.cols()) {
            for (int i0 = b0; i0 < b1; i0 += mr) {
                int tileRows = Math.min(mr, b1 - i0);
                tile(weights, t, i0, tileRows, shape.visible(i0, i0 + tileRows), keysAsRows, col0 * seen, out, col0, d, scratch);
            }
        }
    }

    /**
     * The tile of matrix t of {@code c} at rows {@code [i0, i0 + tileRows)} and the kernel's width of
     * columns from {@code col0}, cut off at column {@code n}: the same rows of {@code a} ({@code depth}
     * values from column 0) times the packed sliver at {@code panel[sliver…]}. A bottom tile of fewer
     * rows than the kernel's is packed, zero-padded; a tile sticking out of C goes through a scratch tile.
     */
    private void tile(StridedMatrix a, int t, int i0, int tileRows, int depth, float[] panel, int sliver, StridedMatrix c, int col0, int n,
                      Scratch scratch) {
        int mr = kernel.rows();
        int nr = kernel.cols();
        float[] aData = a.data();
        int aOff = a.index(t, i0, 0);
        int aStep = a.rowStride();
        if (tileRows < mr) {
            aData = scratch.get(Buffer.TAIL_ROWS, mr * depth);
            PanelPacking.packRows(a, t, i0, tileRows, 0, depth, mr, aData, 0);
            aOff = 0;
            aStep = depth;
        }
        int cIndex = c.index(t, i0, col0);
        if (tileRows == mr && col0 + nr <= n) {
            kernel.multiply(depth, aData, aOff, aStep, panel, sliver, c.data(), cIndex, c.rowStride(), false);
            return;
        }
        float[] edge = scratch.get(Buffer.EDGE_TILE, mr * nr);
        kernel.multiply(depth, aData, aOff, aStep, panel, sliver, edge, 0, nr, false);
        int cols = Math.min(nr, n - col0);
        for (int i = 0; i < tileRows; i++) {
            System.arraycopy(edge, i * nr, c.data(), cIndex + i * c.rowStride(), cols);
        }
    }

    /**
     * Rows {@code [col0, col0 + cols)} of matrix t of {@code out [keys, d]} from {@code aT [d, rows]}
     * (zero-padded to whole tiles of rows) and {@code b [rows, keys]}: {@code out[key] = Σ_row b[row][key]·aT[·][row]}
     * over the rows that see the key, computed transposed in a scratch tile of d × kernel-width. The
     * slice of b is packed first: read where it is, rows of b 1 KiB apart (256 keys) fall into a few
     * of L1's sets and evict each other, and each of the d / 4 tiles fetches them again from L2
     * (measured: the backward 8% slower).
     */
    private void keyGradient(Shape shape, float[] aT, StridedMatrix b, int t, int col0, int cols, StridedMatrix out, Scratch scratch) {
        int mr = kernel.rows();
        int nr = kernel.cols();
        int rows = shape.rows();
        int paddedD = roundUp(shape.d(), mr);
        float[] tile = scratch.get(Buffer.KEY_TILE, paddedD * nr);
        Arrays.fill(tile, 0, paddedD * nr, 0f);
        for (int member = 0; member < rows / shape.seq(); member++) {
            int p0 = shape.firstRowSeeing(member, col0);
            int depth = (member + 1) * shape.seq() - p0;
            if (depth == 0) {
                continue;
            }
            float[] sliver = scratch.get(Buffer.KEY_SLIVER, depth * nr);
            if (cols == nr) {
                kernel.packSliver(b.data(), b.index(t, p0, col0), b.rowStride(), depth, sliver, 0);
            } else {
                PanelPacking.packSlivers(columnsAsRows(b), t, col0, cols, p0, depth, kernel, sliver, 0);
            }
            for (int i0 = 0; i0 < paddedD; i0 += mr) {
                kernel.multiply(depth, aT, i0 * rows + p0, rows, sliver, 0, tile, i0 * nr, nr, true);
            }
        }
        float[] o = out.data();
        for (int j = 0; j < cols; j++) {
            int row = out.index(t, col0 + j, 0);
            for (int i = 0; i < shape.d(); i++) {
                o[row + i] = tile[i * nr + j];
            }
        }
    }

    /** The first {@code seen} rows of matrix t of {@code m [keys, d]} packed as the columns of a product's right operand, d deep. */
    private float[] packAsColumns(StridedMatrix m, int t, int seen, int d, Buffer buffer, Scratch scratch) {
        float[] panel = scratch.get(buffer, roundUp(seen, kernel.cols()) * d);
        PanelPacking.packSlivers(m, t, 0, seen, 0, d, kernel, panel, 0);
        return panel;
    }

    /** The first {@code seen} rows of matrix t of {@code m [keys, d]} packed as the rows of a product's right operand, d wide. */
    private float[] packAsRows(StridedMatrix m, int t, int seen, int d, Scratch scratch) {
        float[] panel = scratch.get(Buffer.KEYS_AS_ROWS, roundUp(d, kernel.cols()) * seen);
        PanelPacking.packSlivers(columnsAsRows(m), t, 0, d, 0, seen, kernel, panel, 0);
        return panel;
    }

    /**
     * Matrix t of {@code m [rows, d]} transposed into {@code dst [d, rows]}, zero rows added up to a
     * whole tile. A strip of {@link #TRANSPOSE_STRIP} source rows at a time, so that each destination
     * row gets a whole cache line while the strip's source rows stay in L1.
     */
    private float[] transposed(Shape shape, StridedMatrix m, int t, float[] dst) {
        int rows = shape.rows();
        int d = shape.d();
        float[] data = m.data();
        for (int r0 = 0; r0 < rows; r0 += TRANSPOSE_STRIP) {
            int r1 = Math.min(rows, r0 + TRANSPOSE_STRIP);
            for (int i = 0; i < d; i++) {
                for (int r = r0; r < r1; r++) {
                    dst[i * rows + r] = data[m.index(t, r, i)];
                }
            }
        }
        Arrays.fill(dst, d * rows, transposedSize(shape), 0f);
        return dst;
    }

    private int transposedSize(Shape shape) {
        return roundUp(shape.d(), kernel.rows()) * shape.rows();
    }

    /** The same storage read with rows and columns swapped. */
    private static StridedMatrix columnsAsRows(StridedMatrix m) {
        return new StridedMatrix(m.name() + "ᵀ", m.data(), m.offset(), m.batchStride(), m.colStride(), m.rowStride());
    }

    /** How many ranges each matrix is cut into: one when the matrices alone give every thread a few, else up to one per block of rows. */
    private int partsPerMatrix(Shape shape) {
        int wanted = UNITS_PER_THREAD * parallel.threadsHere();
        if (wanted == UNITS_PER_THREAD || shape.matrices() >= wanted) {
            return 1;
        }
        return Math.max(1, Math.min(ceilDiv(wanted, shape.matrices()), ceilDiv(shape.rows(), BLOCK_ROWS)));
    }

    /** A body run for one unit of work, with the running thread's scratch arrays. */
    @FunctionalInterface
    private interface UnitBody {
        void run(int unit, Scratch scratch);
    }

    /** Runs {@code body} for units {@code [0, units)}, claimed one at a time by the threads. */
    private void forEachUnit(int units, UnitBody body) {
        parallel.forChunks(units, 1, (from, to) -> {
            Scratch scratch = idleScratch.poll();
            if (scratch == null) {
                scratch = new Scratch();
            }
            try {
                for (int unit = from; unit < to; unit++) {
                    body.run(unit, scratch);
                }
            } finally {
                idleScratch.offer(scratch);
            }
        });
    }

    /** The working arrays a thread packs and transposes into. */
    private enum Buffer {
        KEYS_AS_COLUMNS, VALUES_AS_COLUMNS, KEYS_AS_ROWS, TAIL_ROWS, EDGE_TILE, TRANSPOSED_D_OUT, TRANSPOSED_Q, KEY_TILE, KEY_SLIVER,
        PROBABILITY_BLOCK
    }

    /** One thread's working arrays, kept between calls and grown as needed. */
    private static final class Scratch {
        private final float[][] arrays = new float[Buffer.values().length][0];

        /** The array for {@code buffer}, of at least {@code size} floats (contents undefined). */
        float[] get(Buffer buffer, int size) {
            if (arrays[buffer.ordinal()].length < size) {
                arrays[buffer.ordinal()] = new float[size];
            }
            return arrays[buffer.ordinal()];
        }
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    private static int roundUp(int x, int multiple) {
        return ceilDiv(x, multiple) * multiple;
    }
}
