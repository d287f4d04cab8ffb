package dev.mixtape.engine.vector;

import dev.mixtape.engine.quant.QuantizedMatrix;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Single-precision matrix multiply for the Vector backend: {@code C (+)= op(A)·op(B)} over a batch
 * of row-major matrices, organised the way BLIS and GotoBLAS do it, in three steps.
 *
 * <ol>
 *   <li>Pack B: every {@link GemmBlocking#sliceDepth}-deep slice of B becomes a row of column slivers in
 *       the order the micro-kernel reads them ({@link PanelPacking}). The threads share this work and
 *       then share the packed B. (For a C of at most {@link #IN_PLACE_B_MAX_ROWS} rows, a row-major
 *       B is read where it is instead.)</li>
 *   <li>Cut C into pieces (a matrix of the batch, a block of at most {@link GemmBlocking#mc()} rows,
 *       a range of columns), a few per thread; each thread claims the next unclaimed piece until none
 *       are left, so a thread that gets less CPU time (a busy machine) simply does fewer.</li>
 *   <li>For each piece and k-slice, pack the piece's rows of A (or, for a row-major A and a C of at
 *       most {@link #IN_PLACE_A_MAX_COLUMNS} columns, read them where they are) and sweep the tiles of
 *       C with the {@link MicroKernel}: each B sliver is loaded into L1 once and reused for all rows of the piece.
 *       Tiles that stick out of C at the right or bottom edge go through a scratch tile. A kernel
 *       that reads A k-major ({@link InterleavedAKernel}) gets its rows packed that way whenever B's
 *       slivers are packed and C is a few slivers wide.</li>
 * </ol>
 * Transposed operands are read through swapped strides while packing, so {@code x·Wᵀ}, {@code dY·W}
 * and {@code dYᵀ·X} never materialise a transpose. A product may carry a rank-r term {@code L·op(R)}
 * ({@link #multiplyPlusLowRank}), added to each tile of C while the tile is still in L1. One instance may be used by several threads at
 * once: each call takes its buffers from {@link BufferPool}s and gives them back.
 */
final class Sgemm {
    /** Below this many flops a task is not worth handing to another thread. */
    private static final long MIN_FLOPS_PER_TASK = 1L << 21;
    /** Below this many packed floats a packing task is not worth handing to another thread. */
    private static final long MIN_PACKED_FLOATS_PER_TASK = 1L << 15;
    /** Pieces of C per thread: enough that an unlucky thread's share can be taken over by the others. */
    private static final int PIECES_PER_THREAD = 4;
    /** B slivers packed per unit of packing work. */
    private static final int SLIVERS_PER_PACKING_UNIT = 8;
    /**
     * Up to this many columns of C, a row-major A is read in place rather than packed (see
     * {@link #multiplyPieces}). A wider C reuses each row block of A for more slivers of B than that,
     * and there a packed block's contiguity (fewer pages, no cache-set conflicts) outweighs the copy:
     * measured on the output head's forward product (49152 columns), in place was 5% slower.
     */
    private static final int IN_PLACE_A_MAX_COLUMNS = 1024;
    /**
     * Up to this many rows of C, a row-major B is read in place rather than packed, but for a last
     * sliver narrower than the kernel's. Each sliver of B then serves a few tiles of C at most, and
     * packing it would cost more than the multiply-adds: a LoRA adapter's weight gradients
     * ({@code m} = the rank, {@code k} = the tokens of a batch) spent most of their time packing B.
     */
    private static final int IN_PLACE_B_MAX_ROWS = 16;
    /**
     * From this many slivers of B on, an {@link InterleavedAKernel}'s A is packed k-major even where it
     * could be read in place: the copy is then paid back by the kernel's faster loop on every sliver.
     * A narrower C (a rank-8 LoRA factor: one sliver) keeps A in place.
     */
    private static final int INTERLEAVED_A_MIN_SLIVERS = 4;

    private final Parallel parallel;
    private final MicroKernel kernel;
    /** {@link #kernel} if it reads A k-major from packed slivers, else null. */
    private final InterleavedAKernel interleavedKernel;
    private final GemmBlocking blocking;
    private final int mc;
    /** One pool per kind of buffer, so that a request is met by an array of its own kind's size. */
    private final BufferPool packedBPool = new BufferPool();
    private final BufferPool packedAPool = new BufferPool();
    private final BufferPool sharedAPool = new BufferPool();
    private final BufferPool edgeTilePool = new BufferPool();
    private final BufferPool lowRankTailPool = new BufferPool();

    /**
     * A multiply on the Vector API micro-kernel for this vector width ({@link VectorSupport#simdKernel})
     * when {@code jdk.incubator.vector} is present, on the scalar one otherwise (the SIMD kernels are
     * then never loaded), with the default blocking.
     */
    Sgemm(Parallel parallel) {
        this(parallel, VectorSupport.available() ? VectorSupport.simdKernel() : new ScalarMicroKernel(), GemmBlocking.DEFAULT);
    }

    /** A multiply with a chosen micro-kernel and block sizes (tests use tiny blocks to reach every edge). */
    Sgemm(Parallel parallel, MicroKernel kernel, GemmBlocking blocking) {
        this.parallel = parallel;
        this.kernel = kernel;
        this.interleavedKernel = kernel instanceof InterleavedAKernel interleaved ? interleaved : null;
        this.blocking = blocking;
        this.mc = Math.max(1, blocking.mc() / kernel.rows()) * kernel.rows();
    }

    /** The micro-kernel this multiply runs on, for kernels that drive it directly ({@link FusedAttention}). */
    MicroKernel kernel() {
        return kernel;
    }

    /**
     * For each batch index t: {@code C_t = op(A_t)·op(B_t)} (added to C when {@code accumulate}), where
     * {@code op(A)} is m×k, {@code op(B)} k×n, C is m×n with row length {@code ldc}. A is stored m×k
     * (row length {@code lda}) or, when {@code transA}, k×m; likewise B. Matrix t of A starts at
     * {@code aOff + t·strideA} (a stride of 0 shares one matrix across the batch).
     */
    void multiply(int batch, boolean transA, boolean transB, int m, int n, int k,
                  float[] a, int aOff, int strideA, int lda,
                  float[] b, int bOff, int strideB, int ldb,
                  float[] c, int cOff, int strideC, int ldc, boolean accumulate) {
        multiply(batch, transA, transB, m, n, k, a, aOff, strideA, lda, b, bOff, strideB, ldb, c, cOff, strideC, ldc,
                accumulate, null);
    }

    /**
     * A rank-r term {@code L·op(R)} to add to a product's m×n result: L is m×r, row-major with row
     * length {@code ldl} from {@code leftOff}; op(R) is r×n, packed by {@link #pack}.
     */
    record LowRankTerm(float[] left, int leftOff, int ldl, PackedB right) {
    }

    /**
     * {@code C = A·op(B) + L·op(R)} for a row-major A (m×k, row length {@code lda}), op(B) k×n (B stored
     * k×n, or n×k when {@code transB}) and a rank-r {@code term}; C is m×n with row length {@code ldc}.
     * A LoRA layer's {@code x·W₀ᵀ + s·h·Bᵀ} and its input gradient {@code dY·W₀ + dH·A} are such
     * products. Each tile of C gets the term right after its last k-slice, while it is in L1, where a
     * second product would be one more pass over the whole of C (measured: 4–11% of the first
     * product's time at rank 8). The term's sum is added to the tile exactly as that second product
     * would add it, so the two ways give identical results.
     */
    void multiplyPlusLowRank(int m, int n, int k, float[] a, int aOff, int lda, boolean transB, float[] b, int bOff, int ldb,
                             LowRankTerm term, float[] c, int cOff, int ldc) {
        PackedB right = term.right();
        if (right.n() != n) {
            throw new IllegalArgumentException("matmul low-rank term: op(R) has " + right.n() + " columns, C has " + n);
        }
        new StridedMatrix("L", term.left(), term.leftOff(), 0, term.ldl(), 1).requireInside(1, m, right.k());
        requireRowLength("L", term.ldl(), right.k());
        if (k == 0 || !holdsInOneSlice(right.k())) {
            throw new IllegalArgumentException("matmul with a low-rank term needs k >= 1 and a rank that fits one k-slice, got k="
                    + k + ", rank " + right.k());
        }
        multiply(1, false, transB, m, n, k, a, aOff, m * lda, lda, b, bOff, 0, ldb, c, cOff, m * ldc, ldc, false, term);
    }

    /**
     * {@link #multiplyPlusLowRank(int, int, int, float[], int, int, boolean, float[], int, int, LowRankTerm, float[], int, int)}
     * for a B packed by {@link #pack} (such as a quantised weight's): {@code C = A·op(B) + L·op(R)}, A
     * row-major m×k with row length {@code lda}.
     */
    void multiplyPlusLowRank(PackedB b, int m, float[] a, int aOff, int lda, LowRankTerm term, float[] c, int cOff, int ldc) {
        PackedB right = term.right();
        if (right.n() != b.n()) {
            throw new IllegalArgumentException("matmul low-rank term: op(R) has " + right.n() + " columns, C has " + b.n());
        }
        if (!holdsInOneSlice(right.k())) {
            throw new IllegalArgumentException("matmul with a low-rank term needs a rank that fits one k-slice, got " + right.k());
        }
        requireRowLength("A", lda, b.k());
        requireRowLength("C", ldc, b.n());
        requireRowLength("L", term.ldl(), right.k());
        StridedMatrix left = new StridedMatrix("A", a, aOff, 0, lda, 1);
        StridedMatrix out = new StridedMatrix("C", c, cOff, 0, ldc, 1);
        left.requireInside(1, m, b.k());
        out.requireInside(1, m, b.n());
        new StridedMatrix("L", term.left(), term.leftOff(), 0, term.ldl(), 1).requireInside(1, m, right.k());
        if (m > 0) {
            multiplyPieces(new Product(left, b.bT(), out, 1, m, b.n(), b.k(), b.kc(), true, false, term, false), b.data());
        }
    }

    /** Whether a rank-r term of this rank is packed as one k-slice, as {@link #multiplyPlusLowRank} needs. */
    boolean holdsInOneSlice(int rank) {
        return rank >= 1 && blocking.sliceDepth(rank) == rank;
    }

    private void multiply(int batch, boolean transA, boolean transB, int m, int n, int k,
                          float[] a, int aOff, int strideA, int lda,
                          float[] b, int bOff, int strideB, int ldb,
                          float[] c, int cOff, int strideC, int ldc, boolean accumulate, LowRankTerm lowRank) {
        if (batch < 0 || m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("matmul sizes must not be negative: batch=" + batch
                    + ", m=" + m + ", n=" + n + ", k=" + k);
        }
        requireRowLength("A", lda, transA ? m : k);
        requireRowLength("B", ldb, transB ? k : n);
        requireRowLength("C", ldc, n);
        StridedMatrix left = new StridedMatrix("A", a, aOff, strideA, transA ? 1 : lda, transA ? lda : 1);
        StridedMatrix rightT = new StridedMatrix("B", b, bOff, strideB, transB ? ldb : 1, transB ? 1 : ldb);
        StridedMatrix out = new StridedMatrix("C", c, cOff, strideC, ldc, 1);
        left.requireInside(batch, m, k);
        rightT.requireInside(batch, n, k);
        out.requireInside(batch, m, n);
        if (batch > 1 && m > 0 && n > 0 && strideC < (m - 1) * ldc + n) {
            throw new IllegalArgumentException("matmul output C: batch stride " + strideC + " makes the " + batch
                    + " matrices of " + m + "×" + n + " (row length " + ldc + ") overlap");
        }
        if (batch == 0 || m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (!accumulate) {
                for (int t = 0; t < batch; t++) {
                    for (int i = 0; i < m; i++) {
                        int row = out.index(t, i, 0);
                        Arrays.fill(c, row, row + n, 0f);
                    }
                }
            }
            return;
        }
        boolean rowsFollowOn = strideB == 0 && !transA && strideA == m * lda && strideC == m * ldc;
        int rows = rowsFollowOn ? batch * m : m;
        boolean bInPlace = !transB && rows <= IN_PLACE_B_MAX_ROWS && lowRank == null;
        Product product = rowsFollowOn
                ? new Product(left, rightT, out, 1, rows, n, k, blocking.sliceDepth(k), true, accumulate, lowRank, bInPlace)
                : new Product(left, rightT, out, batch, rows, n, k, blocking.sliceDepth(k), strideB == 0, accumulate, lowRank,
                bInPlace);
        long packedSize = (long) product.matricesOfB() * k * product.packedSlivers(kernel.cols()) * kernel.cols();
        if (packedSize > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("matmul operand B: " + product.matricesOfB() + " matrices of " + k + "×" + n
                    + " are too large to pack into one Java array");
        }
        float[] packedB = packedBPool.take((int) packedSize);
        try {
            packB(product, packedB);
            multiplyPieces(product, packedB);
        } finally {
            packedBPool.give(packedB);
        }
    }

    /**
     * A single matrix B packed for the micro-kernel once, for several products {@code op(A)·op(B)}
     * with different A ({@link #multiply(PackedB, boolean, int, float[], int, int, float[], int, int, boolean)}),
     * such as a frozen weight applied to one block of rows after another. Give it back with
     * {@link #release}; until then it holds a pooled buffer of about k·n floats.
     *
     * @param bT   B as the n×k matrix Bᵀ, as packed (null when packed from blocks)
     * @param n    columns of op(B)
     * @param k    rows of op(B)
     * @param kc   depth of its k-slices
     * @param data the packed slivers
     */
    record PackedB(StridedMatrix bT, int n, int k, int kc, float[] data) {
    }

    /** Packs op(B) (k×n; B stored k×n, or n×k when {@code transB}, with row length {@code ldb}) for reuse. */
    PackedB pack(boolean transB, int n, int k, float[] b, int bOff, int ldb) {
        if (n < 1 || k < 1) {
            throw new IllegalArgumentException("a packed matmul operand needs positive sizes, got n=" + n + ", k=" + k);
        }
        requireRowLength("B", ldb, transB ? k : n);
        StridedMatrix rightT = new StridedMatrix("B", b, bOff, 0, transB ? ldb : 1, transB ? 1 : ldb);
        rightT.requireInside(1, n, k);
        Product product = new Product(null, rightT, null, 1, 0, n, k, blocking.sliceDepth(k), true, false, null, false);
        long packedSize = (long) k * product.packedSlivers(kernel.cols()) * kernel.cols();
        if (packedSize > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("matmul operand B: " + k + "×" + n + " is too large to pack into one Java array");
        }
        float[] packed = packedBPool.take((int) packedSize);
        packB(product, packed);
        return new PackedB(rightT, n, k, product.kc(), packed);
    }

    /**
     * Packs a weight kept in a block format as op(B) for reuse, decoding its blocks into the slivers
     * ({@link QuantizedPanelPacking}): {@code op(B) = Wᵀ} when {@code transW} (for {@code x·Wᵀ}),
     * W itself otherwise (for {@code dY·W}). The packed floats are those {@link #pack} gives for the
     * dequantised matrix.
     */
    PackedB pack(QuantizedMatrix w, boolean transW) {
        return pack(w, transW, 0, transW ? w.rows() : w.cols());
    }

    /**
     * {@link #pack(QuantizedMatrix, boolean)} for columns {@code [first, first + count)} of op(W) only:
     * W's rows {@code [first, first + count)} when {@code transW}, its columns otherwise. A product
     * cut into such column ranges holds the floats of one range at a time, never the whole matrix.
     */
    PackedB pack(QuantizedMatrix w, boolean transW, int first, int count) {
        int n = count;
        int k = transW ? w.cols() : w.rows();
        if (first < 0 || first > (transW ? w.rows() : w.cols()) - count) {
            throw new IllegalArgumentException("columns [" + first + ", " + first + " + " + count + ") of op(W) for a "
                    + w.rows() + " × " + w.cols() + " weight");
        }
        if (n < 1 || k < 1) {
            throw new IllegalArgumentException("a packed matmul operand needs positive sizes, got n=" + n + ", k=" + k);
        }
        int nr = kernel.cols();
        int kc = blocking.sliceDepth(k);
        int slivers = ceilDiv(n, nr);
        long packedSize = (long) k * slivers * nr;
        if (packedSize > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("matmul operand B: " + k + "×" + n + " is too large to pack into one Java array");
        }
        float[] packed = packedBPool.take((int) packedSize);
        int groups = ceilDiv(slivers, SLIVERS_PER_PACKING_UNIT);
        int slices = ceilDiv(k, kc);
        int span = transW ? kc : SLIVERS_PER_PACKING_UNIT * nr;
        parallel.forRange(slices * groups, 1, (from, to) -> {
            float[] buffer = new float[QuantizedPanelPacking.bufferLength(w, span)];
            for (int unit = from; unit < to; unit++) {
                int pc = unit / groups * kc;
                int firstSliver = unit % groups * SLIVERS_PER_PACKING_UNIT;
                int depth = Math.min(kc, k - pc);
                int col0 = firstSliver * nr;
                int columns = Math.min(SLIVERS_PER_PACKING_UNIT * nr, n - col0);
                int offset = pc * slivers * nr + firstSliver * depth * nr;
                if (transW) {
                    QuantizedPanelPacking.packRowSlivers(w, first + col0, columns, pc, depth, nr, packed, offset, buffer);
                } else {
                    QuantizedPanelPacking.packColumnSlivers(w, first + col0, columns, pc, depth, nr, packed, offset, buffer);
                }
            }
        });
        return new PackedB(null, n, k, kc, packed);
    }

    /**
     * {@code C = op(A)·op(B)} (added to C when {@code accumulate}) for a B packed by {@link #pack}:
     * op(A) is m×k, stored m×k or, when {@code transA}, k×m, with row length {@code lda}; C is m×n
     * with row length {@code ldc}.
     */
    void multiply(PackedB b, boolean transA, int m, float[] a, int aOff, int lda, float[] c, int cOff, int ldc,
                  boolean accumulate) {
        requireRowLength("A", lda, transA ? m : b.k());
        requireRowLength("C", ldc, b.n());
        StridedMatrix left = new StridedMatrix("A", a, aOff, 0, transA ? 1 : lda, transA ? lda : 1);
        StridedMatrix out = new StridedMatrix("C", c, cOff, 0, ldc, 1);
        left.requireInside(1, m, b.k());
        out.requireInside(1, m, b.n());
        if (m > 0) {
            multiplyPieces(new Product(left, b.bT(), out, 1, m, b.n(), b.k(), b.kc(), true, accumulate, null, false), b.data());
        }
    }

    /** Returns the buffer of {@code b}, which must not be used afterwards. */
    void release(PackedB b) {
        packedBPool.give(b.data());
    }

    private static void requireRowLength(String operand, int ld, int rowLength) {
        if (ld < Math.max(1, rowLength)) {
            throw new IllegalArgumentException("matmul operand " + operand + ": row length (ld) " + ld
                    + " is shorter than its " + rowLength + " columns");
        }
    }

    /**
     * The operands of one call: A as m×k, B as the n×k matrix Bᵀ, and C. When B is shared and the
     * rows of A and C run on from one matrix to the next, the batch is folded into the rows
     * ({@code batch = 1}, {@code m = batch·m}) so that B is packed once. k is cut into slices of
     * {@code kc} ({@link GemmBlocking#sliceDepth}). {@code lowRank} is the rank-r term to add, or null.
     * With {@code bInPlace} the kernel reads the full slivers of a row-major B where they are, and
     * only a last, narrower sliver is packed (see {@link #IN_PLACE_B_MAX_ROWS}).
     */
    private record Product(StridedMatrix a, StridedMatrix bT, StridedMatrix c, int batch, int m, int n, int k, int kc,
                           boolean sharedB, boolean accumulate, LowRankTerm lowRank, boolean bInPlace) {
        int matricesOfB() {
            return sharedB ? 1 : batch;
        }

        /**
         * Whether step 3 reads A in place: A is row-major, C not too wide (see
         * {@link #IN_PLACE_A_MAX_COLUMNS}) and A not packed k-major for the kernel.
         */
        boolean aInPlace(MicroKernel kernel) {
            return a.colStride() == 1 && n <= IN_PLACE_A_MAX_COLUMNS && !interleavesA(kernel);
        }

        /**
         * Whether step 3 packs A k-major for an {@link InterleavedAKernel}: where B's slivers are packed
         * and C is at least {@link #INTERLEAVED_A_MIN_SLIVERS} slivers wide.
         */
        boolean interleavesA(MicroKernel kernel) {
            return kernel instanceof InterleavedAKernel && !bInPlace && n >= INTERLEAVED_A_MIN_SLIVERS * kernel.cols();
        }

        /** The first sliver of {@code nr} columns that is packed: 0, or with B in place the narrower last one. */
        int firstPackedSliver(int nr) {
            return bInPlace ? n / nr : 0;
        }

        /** How many slivers of {@code nr} columns are packed, per k-slice and matrix of B. */
        int packedSlivers(int nr) {
            return ceilDiv(n, nr) - firstPackedSliver(nr);
        }
    }

    /** Index in the packed B of (packed) sliver {@code sliver} of the k-slice starting at {@code pc} of matrix {@code t}. */
    private int packedOffset(Product product, int t, int pc, int sliver, int depth) {
        int nr = kernel.cols();
        return (t * product.k() + pc) * product.packedSlivers(nr) * nr + (sliver - product.firstPackedSliver(nr)) * depth * nr;
    }

    /**
     * Step 1: packs every k-slice of every B of the batch (only the last sliver when B is read in
     * place), in units of a few slivers shared by the pool.
     */
    private void packB(Product product, float[] packedB) {
        int nr = kernel.cols();
        int n = product.n();
        int k = product.k();
        int kc = product.kc();
        int firstPacked = product.firstPackedSliver(nr);
        int groups = ceilDiv(product.packedSlivers(nr), SLIVERS_PER_PACKING_UNIT);
        int slices = ceilDiv(k, kc);
        int units = product.matricesOfB() * slices * groups;
        long floatsPerUnit = (long) Math.min(kc, k) * nr * SLIVERS_PER_PACKING_UNIT;
        int minUnitsPerTask = (int) Math.max(1, MIN_PACKED_FLOATS_PER_TASK / floatsPerUnit);
        parallel.forRange(units, minUnitsPerTask, (from, to) -> {
            for (int unit = from; unit < to; unit++) {
                int t = unit / (slices * groups);
                int pc = unit / groups % slices * kc;
                int firstSliver = firstPacked + unit % groups * SLIVERS_PER_PACKING_UNIT;
                int depth = Math.min(kc, k - pc);
                int col0 = firstSliver * nr;
                PanelPacking.packSlivers(product.bT(), t, col0, Math.min(SLIVERS_PER_PACKING_UNIT * nr, n - col0), pc,
                        depth, kernel, packedB, packedOffset(product, t, pc, firstSliver, depth));
            }
        });
    }

    /**
     * Step 2: cuts C into pieces of {@code rowHeight} rows and {@code colParts} column ranges per
     * matrix, at least {@link #PIECES_PER_THREAD} per thread where the sizes allow, and lets the
     * threads claim them one by one. Every extra row block reads all of B once more and every extra
     * column range packs its rows of A once more (when A is packed), so a C wider than it is tall (a
     * few rows against a large weight) is cut into column ranges, and otherwise into row blocks.
     *
     * <p>A row-major A (the usual {@code x} or {@code dY}) is read in place when C is not too wide:
     * its row segments are already contiguous, and the micro-kernel's four row streams keep the
     * prefetchers busy as well as a packed panel would, so a copy buys little where each row block
     * serves few slivers of B: a rank-8 LoRA product (one sliver) or the output head's input gradient
     * (whose A is a block of logits). Only a bottom tile of fewer rows than the kernel's is then
     * packed, zero-padded.
     *
     * <p>A single matrix is cut into a number of row blocks the threads divide evenly: 2048 rows as
     * the 15 blocks of at most 144 rows that L2 allows left one of two threads a whole block more
     * than the other (16 blocks of 128 rows: a 2048×288×768 product 3–7% faster on two threads).
     */
    private void multiplyPieces(Product product, float[] packedB) {
        int mr = kernel.rows();
        int m = product.m();
        int batch = product.batch();
        int slivers = ceilDiv(product.n(), kernel.cols());
        long flops = 2L * batch * m * product.n() * product.k();
        int tasks = (int) Math.min(parallel.threadsHere(), Math.max(1, flops / MIN_FLOPS_PER_TASK));
        int wanted = tasks == 1 ? 1 : PIECES_PER_THREAD * tasks;
        int blocksPerMatrix = product.n() > m ? ceilDiv(m, mc) : Math.max(ceilDiv(m, mc), ceilDiv(wanted, batch));
        if (batch == 1) {
            blocksPerMatrix = ceilDiv(blocksPerMatrix, tasks) * tasks;
        }
        int rowHeight = Math.min(mc, Math.max(mr, ceilDiv(ceilDiv(m, blocksPerMatrix), mr) * mr));
        int rowBlocks = ceilDiv(m, rowHeight);
        int colParts = Math.max(1, Math.min(slivers, ceilDiv(wanted, batch * rowBlocks)));
        int pieces = batch * rowBlocks * colParts;
        boolean aInPlace = product.aInPlace(kernel);
        float[] sharedA = !aInPlace && colParts > 1 ? packSharedA(product, rowBlocks, rowHeight) : null;
        AtomicInteger nextPiece = new AtomicInteger();
        try {
            parallel.forRange(tasks, 1, (from, to) -> {
                float[] packedA = sharedA == null ? packedAPool.take((aInPlace ? mr : rowHeight) * product.kc()) : null;
                float[] edgeTile = edgeTilePool.take(mr * kernel.cols());
                float[] lowRankTail = product.lowRank() == null ? null : lowRankTailPool.take(mr * product.lowRank().right().k());
                try {
                    for (int piece = nextPiece.getAndIncrement(); piece < pieces; piece = nextPiece.getAndIncrement()) {
                        int t = piece / (rowBlocks * colParts);
                        int rowBlock = piece / colParts % rowBlocks;
                        int row0 = rowBlock * rowHeight;
                        int colPart = piece % colParts;
                        int sliverFrom = (int) ((long) slivers * colPart / colParts);
                        int sliverTo = (int) ((long) slivers * (colPart + 1) / colParts);
                        int rows = Math.min(rowHeight, m - row0);
                        if (sharedA == null) {
                            multiplyPiece(product, packedB, t, row0, rows, sliverFrom, sliverTo, packedA, -1, rowHeight, edgeTile,
                                    lowRankTail);
                        } else {
                            multiplyPiece(product, packedB, t, row0, rows, sliverFrom, sliverTo, sharedA,
                                    (t * rowBlocks + rowBlock) * rowHeight * product.k(), rowHeight, edgeTile, lowRankTail);
                        }
                    }
                } finally {
                    if (packedA != null) {
                        packedAPool.give(packedA);
                    }
                    edgeTilePool.give(edgeTile);
                    if (lowRankTail != null) {
                        lowRankTailPool.give(lowRankTail);
                    }
                }
            });
        } finally {
            if (sharedA != null) {
                sharedAPool.give(sharedA);
            }
        }
    }

    /**
     * Packs every row block of every matrix of A, all k-slices, into one buffer shared by the pieces
     * (the threads share the work): used when a row block is split into column ranges, whose pieces
     * would otherwise each pack the same rows. Row block b of matrix t starts at
     * {@code (t·rowBlocks + b)·rowHeight·k}, its slice at depth pc {@code pc·rowHeight} further on.
     */
    private float[] packSharedA(Product product, int rowBlocks, int rowHeight) {
        int k = product.k();
        int kc = product.kc();
        int m = product.m();
        int slices = ceilDiv(k, kc);
        long size = (long) product.batch() * rowBlocks * rowHeight * k;
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("matmul operand A: " + product.batch() + " matrices of " + m + "×" + k
                    + " are too large to pack into one Java array");
        }
        float[] shared = sharedAPool.take((int) size);
        int units = product.batch() * rowBlocks * slices;
        int minUnitsPerTask = (int) Math.max(1, MIN_PACKED_FLOATS_PER_TASK / ((long) rowHeight * Math.min(kc, k)));
        parallel.forRange(units, minUnitsPerTask, (from, to) -> {
            for (int unit = from; unit < to; unit++) {
                int t = unit / (rowBlocks * slices);
                int rowBlock = unit / slices % rowBlocks;
                int pc = unit % slices * kc;
                int row0 = rowBlock * rowHeight;
                int at = (t * rowBlocks + rowBlock) * rowHeight * k + pc * rowHeight;
                if (product.interleavesA(kernel)) {
                    PanelPacking.packInterleavedRows(product.a(), t, row0, Math.min(rowHeight, m - row0), pc, Math.min(kc, k - pc),
                            kernel.rows(), shared, at);
                } else {
                    PanelPacking.packRows(product.a(), t, row0, Math.min(rowHeight, m - row0), pc, Math.min(kc, k - pc), kernel, shared,
                            at);
                }
            }
        });
        return shared;
    }

    /**
     * Step 3 for rows {@code [row0, row0 + rows)} and B slivers {@code [sliverFrom, sliverTo)} of C_t.
     * A row-major A is read in place but for a bottom tile of fewer than {@code mr} rows (from
     * {@code tailFrom}), packed into {@code packedA}. Otherwise, with {@code sharedAOffset} negative the piece packs its rows of A
     * into {@code packedA} slice by slice; else they are already packed there, from
     * {@code sharedAOffset} (see {@link #packSharedA}). A low-rank term is added to each tile after
     * its last k-slice ({@link #addLowRank}).
     */
    private void multiplyPiece(Product product, float[] packedB, int t, int row0, int rows, int sliverFrom, int sliverTo,
                               float[] packedA, int sharedAOffset, int rowHeight, float[] edgeTile, float[] lowRankTail) {
        int mr = kernel.rows();
        int nr = kernel.cols();
        int n = product.n();
        int k = product.k();
        int kc = product.kc();
        StridedMatrix a = product.a();
        StridedMatrix c = product.c();
        float[] out = c.data();
        int ldc = c.rowStride();
        int matrixOfB = product.sharedB() ? 0 : t;
        int firstPackedSliver = product.firstPackedSliver(nr);
        StridedMatrix bT = product.bT();
        LowRankTerm lowRank = product.lowRank();
        boolean interleaved = product.interleavesA(kernel);
        for (int pc = 0; pc < k; pc += kc) {
            int depth = Math.min(kc, k - pc);
            boolean addToC = product.accumulate() || pc > 0;
            boolean lastSlice = pc + depth == k;
            float[] aData;
            int aOff;
            int aStep;
            int tailFrom;
            if (product.aInPlace(kernel)) {
                aData = a.data();
                aOff = a.index(t, row0, pc);
                aStep = a.rowStride();
                tailFrom = rows / mr * mr;
                if (tailFrom < rows) {
                    PanelPacking.packRows(a, t, row0 + tailFrom, rows - tailFrom, pc, depth, mr, packedA, 0);
                }
            } else {
                if (sharedAOffset < 0 && interleaved) {
                    PanelPacking.packInterleavedRows(a, t, row0, rows, pc, depth, mr, packedA, 0);
                    aOff = 0;
                } else if (sharedAOffset < 0) {
                    PanelPacking.packRows(a, t, row0, rows, pc, depth, kernel, packedA, 0);
                    aOff = 0;
                } else {
                    aOff = sharedAOffset + pc * rowHeight;
                }
                aData = packedA;
                aStep = depth;
                tailFrom = rows;
            }
            for (int sliver = sliverFrom; sliver < sliverTo; sliver++) {
                int col0 = sliver * nr;
                int tileCols = Math.min(nr, n - col0);
                boolean sliverInPlace = sliver < firstPackedSliver;
                float[] bData = sliverInPlace ? bT.data() : packedB;
                int bOff = sliverInPlace ? bT.index(matrixOfB, col0, pc) : packedOffset(product, matrixOfB, pc, sliver, depth);
                for (int ir = 0; ir < rows; ir += mr) {
                    int tileRows = Math.min(mr, rows - ir);
                    int cIndex = c.index(t, row0 + ir, col0);
                    boolean tail = ir >= tailFrom;
                    float[] tileA = tail ? packedA : aData;
                    int tileAOff = tail ? 0 : aOff + ir * aStep;
                    int tileAStep = tail ? depth : aStep;
                    boolean fullTile = tileRows == mr && tileCols == nr;
                    float[] tileC = fullTile ? out : edgeTile;
                    int tileCOff = fullTile ? cIndex : 0;
                    int tileLdc = fullTile ? ldc : nr;
                    boolean tileAddToC = fullTile && addToC;
                    if (interleaved) {
                        interleavedKernel.multiplyInterleavedA(depth, tileA, tileAOff, bData, bOff, tileC, tileCOff, tileLdc,
                                tileAddToC);
                    } else if (sliverInPlace) {
                        kernel.multiplyInPlaceB(depth, tileA, tileAOff, tileAStep, bData, bOff, bT.colStride(), tileC, tileCOff,
                                tileLdc, tileAddToC);
                    } else {
                        kernel.multiply(depth, tileA, tileAOff, tileAStep, bData, bOff, tileC, tileCOff, tileLdc, tileAddToC);
                    }
                    if (!fullTile) {
                        copyEdgeTile(edgeTile, nr, tileRows, tileCols, out, cIndex, ldc, addToC);
                    }
                    if (lowRank != null && lastSlice) {
                        addLowRank(lowRank, row0 + ir, tileRows, sliver, tileCols, out, cIndex, ldc, edgeTile, lowRankTail);
                    }
                }
            }
        }
    }

    /**
     * Adds rows {@code [row, row + tileRows)} of {@code L·op(R)}, columns of sliver {@code sliver}, to
     * the tile of C at {@code cIndex}. L's rows are read in place but for a bottom tile of fewer than
     * the kernel's rows, which is first copied into {@code lowRankTail} and zero-padded.
     */
    private void addLowRank(LowRankTerm term, int row, int tileRows, int sliver, int tileCols, float[] c, int cIndex, int ldc,
                            float[] edgeTile, float[] lowRankTail) {
        int mr = kernel.rows();
        int nr = kernel.cols();
        int rank = term.right().k();
        float[] left = term.left();
        int leftOff = term.leftOff() + row * term.ldl();
        int leftStep = term.ldl();
        if (tileRows < mr) {
            for (int i = 0; i < tileRows; i++) {
                System.arraycopy(left, leftOff + i * leftStep, lowRankTail, i * rank, rank);
            }
            Arrays.fill(lowRankTail, tileRows * rank, mr * rank, 0f);
            left = lowRankTail;
            leftOff = 0;
            leftStep = rank;
        }
        int rightOff = sliver * rank * nr;
        if (tileRows == mr && tileCols == nr) {
            kernel.multiply(rank, left, leftOff, leftStep, term.right().data(), rightOff, c, cIndex, ldc, true);
        } else {
            kernel.multiply(rank, left, leftOff, leftStep, term.right().data(), rightOff, edgeTile, 0, nr, false);
            copyEdgeTile(edgeTile, nr, tileRows, tileCols, c, cIndex, ldc, true);
        }
    }

    private static void copyEdgeTile(float[] tile, int tileStride, int rows, int cols,
                                     float[] c, int cIndex, int ldc, boolean addToC) {
        for (int i = 0; i < rows; i++) {
            int row = cIndex + i * ldc;
            for (int j = 0; j < cols; j++) {
                float value = tile[i * tileStride + j];
                c[row + j] = addToC ? c[row + j] + value : value;
            }
        }
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }
}
