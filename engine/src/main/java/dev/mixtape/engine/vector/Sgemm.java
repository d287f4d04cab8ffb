package dev.mixtape.engine.vector;

import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Single-precision matrix multiply for the Vector backend: {@code C (+)= op(A)·op(B)} over a batch
 * of row-major matrices, organised the way BLIS and GotoBLAS do it.
 *
 * <ol>
 *   <li>Split the work: the batch, and each matrix into row (or column) ranges of whole tiles, so
 *       that every thread of the pool gets an equal share; each share runs the steps below alone.</li>
 *   <li>Cache blocking ({@link GemmBlocking}): for each {@code nc}-wide column block and each
 *       {@code kc}-deep slice of k, pack the {@code kc × nc} panel of B; for each {@code mc}-high row
 *       block, pack the {@code mc × kc} block of A ({@link PanelPacking}).</li>
 *   <li>Sweep the packed block tile by tile with the {@link MicroKernel}. Tiles that stick out of C
 *       at the right or bottom edge are computed into a scratch tile and the valid part copied.</li>
 * </ol>
 * Transposed operands are read through swapped strides while packing, so {@code x·Wᵀ}, {@code dY·W}
 * and {@code dYᵀ·X} never materialise a transpose. One instance may be used by several threads at
 * once: all per-call state lives in {@link PackBuffers} taken from a pool.
 */
final class Sgemm {
    /** Below this many flops a task is not worth handing to another thread. */
    private static final long MIN_FLOPS_PER_TASK = 1L << 21;

    private final Parallel parallel;
    private final MicroKernel kernel;
    private final int kc;
    private final int mc;
    private final int nc;
    private final ConcurrentLinkedQueue<PackBuffers> idleBuffers = new ConcurrentLinkedQueue<>();

    /**
     * A multiply on the Vector API micro-kernel when {@code jdk.incubator.vector} is present, on the
     * scalar one otherwise ({@link SimdMicroKernel} is then never loaded), with the default blocking.
     */
    Sgemm(Parallel parallel) {
        this(parallel, VectorSupport.available() ? new SimdMicroKernel() : new ScalarMicroKernel(), GemmBlocking.DEFAULT);
    }

    /** A multiply with a chosen micro-kernel and block sizes (tests use tiny blocks to reach every edge). */
    Sgemm(Parallel parallel, MicroKernel kernel, GemmBlocking blocking) {
        this.parallel = parallel;
        this.kernel = kernel;
        this.kc = blocking.kc();
        this.mc = Math.max(1, blocking.mc() / kernel.rows()) * kernel.rows();
        this.nc = Math.max(1, blocking.nc() / kernel.cols()) * kernel.cols();
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
        if (batch < 0 || m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("matmul sizes must not be negative: batch=" + batch
                    + ", m=" + m + ", n=" + n + ", k=" + k);
        }
        requireRowLength("A", lda, transA ? m : k);
        requireRowLength("B", ldb, transB ? k : n);
        requireRowLength("C", ldc, n);
        Product product = new Product(
                new StridedMatrix("A", a, aOff, strideA, transA ? 1 : lda, transA ? lda : 1),
                new StridedMatrix("B", b, bOff, strideB, transB ? ldb : 1, transB ? 1 : ldb),
                new StridedMatrix("C", c, cOff, strideC, ldc, 1),
                m, n, k, accumulate);
        product.a().requireInside(batch, m, k);
        product.bT().requireInside(batch, n, k);
        product.c().requireInside(batch, m, n);
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
                        int row = product.c().index(t, i, 0);
                        Arrays.fill(c, row, row + n, 0f);
                    }
                }
            }
            return;
        }
        multiplyInParallel(batch, product);
    }

    private static void requireRowLength(String operand, int ld, int rowLength) {
        if (ld < Math.max(1, rowLength)) {
            throw new IllegalArgumentException("matmul operand " + operand + ": row length (ld) " + ld
                    + " is shorter than its " + rowLength + " columns");
        }
    }

    /** The operands of one call: A as m×k, B as the n×k matrix Bᵀ, and C. */
    private record Product(StridedMatrix a, StridedMatrix bT, StridedMatrix c, int m, int n, int k,
                           boolean accumulate) {
    }

    /**
     * Step 1: each of the {@code batch} matrices is cut into {@code parts} ranges of whole tiles along
     * its longer side (in tiles); the {@code batch·parts} pieces go to the pool in contiguous runs.
     */
    private void multiplyInParallel(int batch, Product product) {
        int m = product.m();
        int n = product.n();
        int rowTiles = ceilDiv(m, kernel.rows());
        int colTiles = ceilDiv(n, kernel.cols());
        boolean splitRows = rowTiles >= colTiles;
        int tiles = splitRows ? rowTiles : colTiles;
        long flopsPerMatrix = 2L * m * n * product.k();
        int parts = partsPerMatrix(batch, tiles, flopsPerMatrix);
        long flopsPerPiece = Math.max(1, flopsPerMatrix / parts);
        int pieces = batch * parts;
        int minPiecesPerTask = (int) Math.min(pieces, ceilDiv(MIN_FLOPS_PER_TASK, flopsPerPiece));
        parallel.forRange(pieces, minPiecesPerTask, (from, to) -> {
            PackBuffers buffers = takeBuffers();
            try {
                for (int piece = from; piece < to; piece++) {
                    int t = piece / parts;
                    int part = piece % parts;
                    int firstTile = (int) ((long) tiles * part / parts);
                    int endTile = (int) ((long) tiles * (part + 1) / parts);
                    if (splitRows) {
                        multiplyRectangle(product, t, firstTile * kernel.rows(), Math.min(m, endTile * kernel.rows()),
                                0, n, buffers);
                    } else {
                        multiplyRectangle(product, t, 0, m,
                                firstTile * kernel.cols(), Math.min(n, endTile * kernel.cols()), buffers);
                    }
                }
            } finally {
                idleBuffers.offer(buffers);
            }
        });
    }

    /**
     * How many pieces to cut each matrix into: none when the batch alone spreads evenly over the
     * threads or the whole job is too small to share; otherwise just enough that
     * {@code batch·parts} is a multiple of the thread count, limited by the tiles and the work there is.
     */
    private int partsPerMatrix(int batch, int tiles, long flopsPerMatrix) {
        int threads = parallel.threads();
        if (batch % threads == 0) {
            return 1;
        }
        int parts = threads / gcd(batch, threads);
        long worthwhile = Math.max(1, flopsPerMatrix / MIN_FLOPS_PER_TASK);
        return (int) Math.min(Math.min(parts, tiles), worthwhile);
    }

    private PackBuffers takeBuffers() {
        PackBuffers buffers = idleBuffers.poll();
        return buffers != null ? buffers : new PackBuffers();
    }

    /** Steps 2 and 3 for rows {@code [rowFrom, rowTo)} and columns {@code [colFrom, colTo)} of C_t. */
    private void multiplyRectangle(Product product, int t, int rowFrom, int rowTo, int colFrom, int colTo,
                                   PackBuffers buffers) {
        int mr = kernel.rows();
        int nr = kernel.cols();
        int k = product.k();
        int depthBlock = Math.min(kc, k);
        int rowBlock = Math.min(mc, ceilDiv(rowTo - rowFrom, mr) * mr);
        int colBlock = Math.min(nc, ceilDiv(colTo - colFrom, nr) * nr);
        buffers.ensure(rowBlock * depthBlock, depthBlock * colBlock, mr * nr);
        float[] packedA = buffers.a();
        float[] packedB = buffers.b();
        for (int jc = colFrom; jc < colTo; jc += nc) {
            int cols = Math.min(nc, colTo - jc);
            for (int pc = 0; pc < k; pc += kc) {
                int depth = Math.min(kc, k - pc);
                boolean addToC = product.accumulate() || pc > 0;
                PanelPacking.pack(product.bT(), t, jc, cols, pc, depth, nr, packedB);
                for (int ic = rowFrom; ic < rowTo; ic += mc) {
                    int rows = Math.min(mc, rowTo - ic);
                    PanelPacking.pack(product.a(), t, ic, rows, pc, depth, mr, packedA);
                    multiplyPackedBlock(product.c(), t, ic, rows, jc, cols, depth, addToC, buffers);
                }
            }
        }
    }

    /** Step 3: every tile of the {@code rows × cols} block of C at {@code (row0, col0)}. */
    private void multiplyPackedBlock(StridedMatrix c, int t, int row0, int rows, int col0, int cols, int depth,
                                     boolean addToC, PackBuffers buffers) {
        int mr = kernel.rows();
        int nr = kernel.cols();
        float[] out = c.data();
        for (int jr = 0; jr < cols; jr += nr) {
            int tileCols = Math.min(nr, cols - jr);
            int bSliver = jr * depth;
            for (int ir = 0; ir < rows; ir += mr) {
                int tileRows = Math.min(mr, rows - ir);
                int aSliver = ir * depth;
                int cIndex = c.index(t, row0 + ir, col0 + jr);
                if (tileRows == mr && tileCols == nr) {
                    kernel.multiply(depth, buffers.a(), aSliver, buffers.b(), bSliver, out, cIndex, c.rowStride(), addToC);
                } else {
                    kernel.multiply(depth, buffers.a(), aSliver, buffers.b(), bSliver, buffers.tile(), 0, nr, false);
                    copyEdgeTile(buffers.tile(), nr, tileRows, tileCols, out, cIndex, c.rowStride(), addToC);
                }
            }
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

    private static long ceilDiv(long x, long y) {
        return (x + y - 1) / y;
    }

    private static int gcd(int x, int y) {
        return y == 0 ? x : gcd(y, x % y);
    }
}
