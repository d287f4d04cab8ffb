package dev.mixtape.engine.vector;

import dev.mixtape.engine.BatchInvariantProducts;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.quant.BlockFormat;
import dev.mixtape.engine.quant.BlockFormats;
import dev.mixtape.engine.quant.QuantizedMatrix;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * What the Vector backend does with a weight kept in a block format ({@link QuantizedStorage}):
 * products with a few rows go to {@link QuantizedProducts}' GEMV kernels, split between the threads
 * (by weight rows for {@code x·Wᵀ}, by blocks of columns for {@code dY·W}); larger ones to
 * {@link Sgemm} with B packed from the blocks by {@link QuantizedPanelPacking}, so the weight is never
 * in floats whole. Embedding lookups decode the rows they gather; everything else (a transposed
 * left operand, the fused output head) gets a temporary F32 copy.
 */
final class QuantizedWeights {
    /** Weight rows (or blocks of columns) per GEMV task: enough work to be worth a thread hop. */
    private static final int MIN_WEIGHT_BYTES_PER_TASK = 1 << 14;
    /**
     * Floats of op(W) a product of more than a few rows packs at once (1 MiB): it is cut into ranges
     * of columns, each packed from the blocks and multiplied before the next, so that the weight is
     * never in floats whole (the whole weight packed at once would be as large as the f32 weight).
     */
    private static final int PACKED_RANGE_FLOATS = 1 << 18;

    private final VectorBackend owner;
    private final Parallel parallel;
    private final Sgemm sgemm;

    QuantizedWeights(VectorBackend owner, Parallel parallel, Sgemm sgemm) {
        this.owner = owner;
        this.parallel = parallel;
        this.sgemm = sgemm;
    }

    /**
     * A storage over {@code blocks}, checked to hold a {@code rows × cols} matrix of {@code format};
     * Q8_0 and Q4_0 are held rearranged for decoding where that is faster ({@link QuantizedProducts#forDecoding}).
     */
    QuantizedStorage storage(DType format, int rows, int cols, MemorySegment blocks) {
        BlockFormat blockFormat = BlockFormats.named(format.name());
        if (blockFormat == null) {
            throw new IllegalArgumentException(format + " is not a block format the vector backend reads");
        }
        return new QuantizedStorage(owner, format, QuantizedProducts.forDecoding(new QuantizedMatrix(blockFormat, rows, cols, blocks)));
    }

    static boolean isQuantized(Tensor t) {
        return t.storage() instanceof QuantizedStorage;
    }

    /** Whether the block-format tensor {@code t} is its whole matrix, not a slice or an offset view. */
    static boolean isWholeMatrix(Tensor t) {
        QuantizedMatrix matrix = ((QuantizedStorage) t.storage()).matrix();
        return t.offset() == 0 && t.isContiguous() && t.rank() == 2 && t.dim(0) == matrix.rows() && t.dim(1) == matrix.cols();
    }

    /** The matrix behind {@code t}, which must be the whole matrix ({@link #isWholeMatrix}). */
    static QuantizedMatrix matrix(Tensor t) {
        QuantizedMatrix matrix = ((QuantizedStorage) t.storage()).matrix();
        if (!isWholeMatrix(t)) {
            throw new IllegalArgumentException("a " + t.dtype() + " tensor " + Arrays.toString(t.shape())
                    + " is read as its whole matrix, not as a view");
        }
        return matrix;
    }

    /** The weight dequantised into a new F32 tensor of its shape, for the kernels that read floats. */
    Tensor widened(Tensor t) {
        return Tensor.of(owner, matrix(t).dequantize(), t.shape());
    }

    /** Dequantises {@code src} into the contiguous F32 tensor {@code dst} of the same shape. */
    void dequantize(Tensor src, Tensor dst, float[] dstData) {
        if (dst.dtype() != DType.F32 || !dst.isContiguous()) {
            throw new IllegalArgumentException("a " + src.dtype() + " weight is copied into a contiguous F32 tensor, not "
                    + dst.dtype() + " " + Arrays.toString(dst.shape()));
        }
        QuantizedMatrix matrix = matrix(src);
        parallel.forRange(matrix.rows(), 1, (from, to) -> {
            for (int row = from; row < to; row++) {
                matrix.dequantizeRow(row, dstData, dst.offset() + row * matrix.cols());
            }
        });
    }

    /** {@code out[i] = table[ids[i]]}, decoding only the rows gathered. */
    static void gatherRows(Tensor table, int[] ids, float[] out, int outOff) {
        QuantizedMatrix matrix = matrix(table);
        for (int i = 0; i < ids.length; i++) {
            matrix.dequantizeRow(ids[i], out, outOff + i * matrix.cols());
        }
    }

    /**
     * {@code C (+)= A·op(W)} for a row-major A ({@code batch} matrices of m×k, row length {@code lda},
     * {@code strideA} apart) and the quantised weight W: {@code op(W) = Wᵀ} when {@code transW}
     * ({@code x·Wᵀ}, W is n×k), W itself otherwise ({@code dY·W}, W is k×n).
     */
    void multiply(int batch, int m, float[] a, int aOff, int strideA, int lda, Tensor weight, boolean transW,
                  float[] c, int cOff, int strideC, int ldc, boolean accumulate) {
        QuantizedMatrix w = matrix(weight);
        boolean rowsFollowOn = batch == 1 || (strideA == m * lda && strideC == m * ldc);
        if (rowsFollowOn) {
            multiply(batch * m, a, aOff, lda, w, transW, c, cOff, ldc, accumulate);
            return;
        }
        for (int t = 0; t < batch; t++) {
            multiply(m, a, aOff + t * strideA, lda, w, transW, c, cOff + t * strideC, ldc, accumulate);
        }
    }

    /**
     * {@code C = A·op(W) + L·op(R)} for a row-major A (m×k) and the quantised weight W, through
     * {@link Sgemm#multiplyPlusLowRank(Sgemm.PackedB, int, float[], int, int, Sgemm.LowRankTerm, float[], int, int)}:
     * a LoRA layer's forward pass and input gradient on a quantised base in one product.
     */
    void multiplyPlusLowRank(int m, float[] a, int aOff, int lda, Tensor weight, boolean transW, Sgemm.LowRankTerm term,
                             float[] c, int cOff, int ldc) {
        QuantizedMatrix w = matrix(weight);
        int n = transW ? w.rows() : w.cols();
        int range = columnsPerRange(transW ? w.cols() : w.rows());
        for (int first = 0; first < n; first += range) {
            int count = Math.min(range, n - first);
            Sgemm.PackedB packed = sgemm.pack(w, transW, first, count);
            try {
                sgemm.multiplyPlusLowRank(packed, m, a, aOff, lda, columnsOf(term, first, count), c, cOff + first, ldc);
            } finally {
                sgemm.release(packed);
            }
        }
    }

    /**
     * Columns of op(W) packed at once by the products of more than a few rows: about
     * {@link #PACKED_RANGE_FLOATS} floats at depth {@code k}, a whole number of the micro-kernel's slivers.
     */
    private int columnsPerRange(int k) {
        int nr = sgemm.kernel().cols();
        return Math.max(1, PACKED_RANGE_FLOATS / k / nr) * nr;
    }

    /** Columns {@code [first, first + count)} of a low-rank term's op(R), {@code first} a multiple of the sliver width. */
    private Sgemm.LowRankTerm columnsOf(Sgemm.LowRankTerm term, int first, int count) {
        Sgemm.PackedB right = term.right();
        if (first == 0 && count == right.n()) {
            return term;
        }
        int nr = sgemm.kernel().cols();
        int sliverFloats = right.k() * nr;
        int from = first / nr * sliverFloats;
        float[] slivers = Arrays.copyOfRange(right.data(), from, from + (count + nr - 1) / nr * sliverFloats);
        return new Sgemm.LowRankTerm(term.left(), term.leftOff(), term.ldl(),
                new Sgemm.PackedB(null, count, right.k(), right.kc(), slivers));
    }

    private void multiply(int m, float[] a, int aOff, int lda, QuantizedMatrix w, boolean transW, float[] c, int cOff, int ldc,
                          boolean accumulate) {
        if (m > Math.max(Gemv.MAX_ROWS, BatchInvariantProducts.rows())) {
            int n = transW ? w.rows() : w.cols();
            int range = columnsPerRange(transW ? w.cols() : w.rows());
            for (int first = 0; first < n; first += range) {
                Sgemm.PackedB packed = sgemm.pack(w, transW, first, Math.min(range, n - first));
                try {
                    sgemm.multiply(packed, false, m, a, aOff, lda, c, cOff + first, ldc, accumulate);
                } finally {
                    sgemm.release(packed);
                }
            }
        } else if (transW) {
            int rowsPerTask = (int) Math.max(1, MIN_WEIGHT_BYTES_PER_TASK / w.rowBytes());
            parallel.forChunks(w.rows(), Math.max(rowsPerTask, w.rows() / (2 * parallel.threads())), (from, to) ->
                    QuantizedProducts.timesTransposed(m, a, aOff, lda, w, c, cOff, ldc, accumulate, from, to));
        } else {
            long columnBytes = (long) w.rows() * w.format().blockBytes();
            int blocksPerTask = (int) Math.max(1, MIN_WEIGHT_BYTES_PER_TASK / columnBytes);
            parallel.forChunks(w.blocksPerRow(), Math.max(blocksPerTask, w.blocksPerRow() / (2 * parallel.threads())),
                    (from, to) -> QuantizedProducts.times(m, a, aOff, lda, w, c, cOff, ldc, accumulate, from, to));
        }
    }
}
