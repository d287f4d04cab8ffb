package dev.mixtape.engine.vector;

import dev.mixtape.engine.BatchInvariantProducts;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Shapes;
import dev.mixtape.engine.Tensor;

import static dev.mixtape.engine.vector.Bf16Conversion.isBf16;

/**
 * Which kernel computes a matrix product on the Vector backend, by the operands' types and shapes:
 * a block-format weight goes to {@link QuantizedWeights}; a product of a few rows (decoding) to the
 * GEMV kernels ({@link Gemv}, {@link Bf16Gemv}), split by output columns between the threads; a
 * larger one to {@link Sgemm} (its narrow variant when the output has at most a vector's width of
 * columns). A bf16 operand that no kernel reads as it is becomes a temporary F32 copy.
 */
final class MatmulDispatch {
    /**
     * Multiply-adds below which a thread's share of a few-rows product is not worth handing over:
     * about 256 KB of f32 weights, some 10 µs of streaming on one core. Waking a second thread and
     * waiting for it at the end costs microseconds (more on a virtual machine, where a spinning vCPU
     * may be descheduled), so the [288, 288] products of a stories15M-shape decoding step run on the
     * calling thread alone, and the classifier, the feed-forward and larger models' products are split.
     */
    private static final int FEW_ROWS_MIN_PER_THREAD = 1 << 16;
    /**
     * Chunks per thread of a product large enough for several: few and long, because the GEMV streams
     * each chunk's weights as four sequential streams and streams reach full speed only after a while;
     * two rather than one so that a thread slowed by other work on the machine hands part of its share over.
     */
    private static final int FEW_ROWS_TASKS_PER_THREAD = 2;

    private final VectorBackend owner;
    private final Parallel parallel;
    private final VectorMemory memory;
    private final Bf16Conversion conversion;
    private final QuantizedWeights quantized;
    private final Sgemm sgemm;
    /** The multiply for products of at most a vector's width of columns ({@link SimdNarrowMicroKernel}); null without SIMD. */
    private final Sgemm narrowSgemm;
    private final Gemv gemv;
    private final Bf16Gemv bf16Gemv;

    MatmulDispatch(VectorBackend owner, Parallel parallel, VectorMemory memory, Bf16Conversion conversion,
                   QuantizedWeights quantized, Sgemm sgemm) {
        this.owner = owner;
        this.parallel = parallel;
        this.memory = memory;
        this.conversion = conversion;
        this.quantized = quantized;
        this.sgemm = sgemm;
        this.narrowSgemm = VectorSupport.available()
                ? new Sgemm(parallel, VectorSupport.simdNarrowKernel(), GemmBlocking.DEFAULT)
                : null;
        this.gemv = VectorSupport.available() ? VectorSupport.simdGemv() : new ScalarGemv();
        this.bf16Gemv = VectorSupport.available() ? VectorSupport.simdBf16Gemv() : new ScalarBf16Gemv();
    }

    /** The kernel of few-rows f32 products ({@link FewQueryAttention} runs attention's products with it). */
    Gemv gemv() {
        return gemv;
    }

    private Tensor widenedWeight(Tensor t) {
        return QuantizedWeights.isQuantized(t) ? quantized.widened(t) : conversion.widened(t);
    }

    /** {@code out (+)= op(a)·op(b)} for stacks of row-major matrices, as {@link dev.mixtape.engine.Backend#matmul}. */
    void matmul(Tensor a, boolean transA, Tensor b, boolean transB, Tensor out, boolean accumulate) {
        if (isBf16(a) || QuantizedWeights.isQuantized(a)) {
            matmul(widenedWeight(a), transA, b, transB, out, accumulate);
            return;
        }
        int[] as = a.shape();
        int[] bs = b.shape();
        int rank = as.length;
        int m = transA ? as[rank - 1] : as[rank - 2];
        int k = transA ? as[rank - 2] : as[rank - 1];
        int n = transB ? bs[bs.length - 2] : bs[bs.length - 1];
        if (out.numel() == 0) {
            return;
        }
        if (k == 0) {
            if (!accumulate) {
                owner.fill(out, 0);
            }
            return;
        }
        int batch = out.numel() / (m * n);
        int strideA = Shapes.matrixBatchStride(as, a.strides());
        int strideB = bs.length == 2 ? 0 : Shapes.matrixBatchStride(bs, b.strides());
        int strideC = Shapes.matrixBatchStride(out.shape(), out.strides());
        if (strideA < 0 || strideB < 0 || strideC < 0) {
            throw new IllegalArgumentException("matmul operands must be stacks of row-major matrices: " + Shapes.str(as)
                    + " strides " + Shapes.str(a.strides()) + ", " + Shapes.str(bs) + " strides " + Shapes.str(b.strides())
                    + ", out " + Shapes.str(out.shape()) + " strides " + Shapes.str(out.strides()));
        }
        int lda = Shapes.matrixRowStride(as, a.strides());
        int ldb = Shapes.matrixRowStride(bs, b.strides());
        int ldc = Shapes.matrixRowStride(out.shape(), out.strides());
        if (QuantizedWeights.isQuantized(b)) {
            if (transA) {
                matmul(a, true, widenedWeight(b), transB, out, accumulate);
            } else {
                quantized.multiply(batch, m, memory.data(a), a.offset(), strideA, lda, b, transB,
                        memory.data(out), out.offset(), strideC, ldc, accumulate);
            }
            return;
        }
        if (isBf16(b)) {
            if (!transA && transB && m <= rowByRowLimit()) {
                fewRowsBf16(batch, m, n, k, memory.data(a), a.offset(), strideA, lda, memory.bf16(b), b.offset(), strideB, ldb,
                        memory.data(out), out.offset(), strideC, ldc, accumulate);
            } else {
                matmul(a, transA, conversion.widened(b), transB, out, accumulate);
            }
            return;
        }
        if (!transA && m <= rowByRowLimit()) {
            fewRows(transB, batch, m, n, k, memory.data(a), a.offset(), strideA, lda, memory.data(b), b.offset(), strideB, ldb,
                    memory.data(out), out.offset(), strideC, ldc, accumulate);
            return;
        }
        Sgemm multiply = narrowSgemm != null && n <= narrowSgemm.kernel().cols() ? narrowSgemm : sgemm;
        multiply.multiply(batch, transA, transB, m, n, k,
                memory.data(a), a.offset(), strideA, lda,
                memory.data(b), b.offset(), strideB, ldb,
                memory.data(out), out.offset(), strideC, ldc, accumulate);
    }

    /**
     * Through {@link Sgemm#multiplyPlusLowRank} where the product takes the blocked path (f32
     * operands or a block-format {@code b}, more rows than {@link #rowByRowLimit}, a rank that packs
     * as one k-slice); otherwise declined, for the op's two products.
     */
    boolean matmulPlusLowRank(Tensor a, Tensor b, boolean transB, Tensor low, Tensor lowB, boolean transLowB, Tensor out) {
        int m = a.dim(0);
        int k = a.dim(1);
        int n = out.dim(1);
        int rank = low.dim(1);
        if (isBf16(a) || isBf16(b) || isBf16(low) || isBf16(lowB) || m <= rowByRowLimit() || k == 0 || n == 0
                || !sgemm.holdsInOneSlice(rank)) {
            return false;
        }
        Sgemm.PackedB right = sgemm.pack(transLowB, n, rank, memory.data(lowB), lowB.offset(), lowB.dim(1));
        try {
            Sgemm.LowRankTerm term = new Sgemm.LowRankTerm(memory.data(low), low.offset(), rank, right);
            if (QuantizedWeights.isQuantized(b)) {
                quantized.multiplyPlusLowRank(m, memory.data(a), a.offset(), k, b, transB, term,
                        memory.data(out), out.offset(), n);
            } else {
                sgemm.multiplyPlusLowRank(m, n, k, memory.data(a), a.offset(), k, transB, memory.data(b), b.offset(), b.dim(1),
                        term, memory.data(out), out.offset(), n);
            }
        } finally {
            sgemm.release(right);
        }
        return true;
    }

    /**
     * {@code x·weights[i]ᵀ} for each weight ({@link dev.mixtape.engine.SharedInputProducts}) as one few-rows
     * product over the weights' columns one after another: cut into chunks as a single product of that
     * many columns would be ({@link #fewRowsChunks}), a chunk that crosses from one weight into the next
     * running each part with its own weight. Each part is the call {@link #fewRows} (f32 weights),
     * {@link #fewRowsBf16} (bf16 weights, x prepared once for all) or {@link QuantizedWeights} (block
     * formats, each weight in its own) makes for those columns, so every output equals its product
     * computed alone. Null (declined) where that product would not take the few-rows kernels: more rows
     * than {@link #rowByRowLimit}, weights of more than one of those three kinds, a weight that is not a
     * whole row-major matrix.
     */
    Tensor[] productsSharingInput(Tensor x, Tensor[] weights) {
        int k = x.dim(-1);
        int m = k == 0 ? 0 : x.numel() / k;
        if (isBf16(x) || QuantizedWeights.isQuantized(x) || !x.isContiguous() || m == 0 || m > rowByRowLimit()
                || weights.length == 0) {
            return null;
        }
        WeightKind kind = WeightKind.of(weights[0]);
        int[] starts = new int[weights.length + 1];
        for (int i = 0; i < weights.length; i++) {
            Tensor w = weights[i];
            if (WeightKind.of(w) != kind || !w.isContiguous() || w.rank() != 2 || w.dim(1) != k
                    || kind == WeightKind.BLOCKS && !QuantizedWeights.isWholeMatrix(w)) {
                return null;
            }
            starts[i + 1] = starts[i] + w.dim(0);
        }
        Tensor[] outs = new Tensor[weights.length];
        for (int i = 0; i < weights.length; i++) {
            int[] shape = x.shape();
            shape[shape.length - 1] = weights[i].dim(0);
            outs[i] = Tensor.zeros(owner, DType.F32, shape);
        }
        int columns = starts[weights.length];
        if (columns == 0) {
            return outs;
        }
        float[] a = memory.data(x);
        int aOff = x.offset();
        float[] prepared = kind == WeightKind.BF16 ? bf16Gemv.prepare(m, k, a, aOff, k) : null;
        int chunks = fewRowsChunks((long) columns * k * m, parallel.threadsHere());
        int chunkColumns = Math.ceilDiv(Math.ceilDiv(columns, chunks), 4) * 4;
        parallel.forChunks(columns, chunkColumns, (from, to) -> {
            int w = 0;
            for (int column = from; column < to; ) {
                while (column >= starts[w + 1]) {
                    w++;
                }
                int first = column - starts[w];
                int last = Math.min(starts[w + 1], to) - starts[w];
                int n = starts[w + 1] - starts[w];
                Tensor weight = weights[w];
                float[] c = memory.data(outs[w]);
                switch (kind) {
                    case F32 -> gemv.rowsTimesTransposed(m, k, a, aOff, k, memory.data(weight), weight.offset(), k, c, 0, n, false, first, last);
                    case BF16 -> bf16Gemv.rowsTimesTransposed(m, k, prepared, memory.bf16(weight), weight.offset(), k, c, 0, n, false, first, last);
                    case BLOCKS -> QuantizedProducts.timesTransposed(m, a, aOff, k, QuantizedWeights.matrix(weight), c, 0, n, false,
                            first, last);
                }
                column = starts[w] + last;
            }
        });
        return outs;
    }

    /** The kinds of weight a shared-input job takes, one kind per job: each has its own few-rows kernel. */
    private enum WeightKind {
        F32, BF16, BLOCKS;

        static WeightKind of(Tensor weight) {
            return QuantizedWeights.isQuantized(weight) ? BLOCKS : isBf16(weight) ? BF16 : F32;
        }
    }

    /**
     * Products of at most this many rows take the few-rows kernels: {@link Gemv#MAX_ROWS}, or more
     * inside {@link BatchInvariantProducts}.
     */
    private static int rowByRowLimit() {
        return Math.max(Gemv.MAX_ROWS, BatchInvariantProducts.rows());
    }

    /** Columns {@code first..last-1} of matrix {@code t} of a batched few-rows product. */
    @FunctionalInterface
    private interface ColumnRange {
        void run(int t, int first, int last);
    }

    /**
     * Decoding-shaped products (a few rows of A): chunks of batch × output columns, claimed by the
     * threads as they go (the product streams the whole of B once, so it is bound by memory bandwidth).
     * {@code A·B} takes whole rows of C per chunk, so that its kernel runs along them in vectors.
     */
    private void fewRows(boolean transB, int batch, int m, int n, int k, float[] a, int aOff, int strideA, int lda, float[] b,
                         int bOff, int strideB, int ldb, float[] c, int cOff, int strideC, int ldc, boolean accumulate) {
        byColumns(batch, m, n, k, transB ? chunkColumnMultiple(m) : n, (t, first, last) -> {
            if (transB) {
                gemv.rowsTimesTransposed(m, k, a, aOff + t * strideA, lda, b, bOff + t * strideB, ldb,
                        c, cOff + t * strideC, ldc, accumulate, first, last);
            } else {
                gemv.rowsTimes(m, k, a, aOff + t * strideA, lda, b, bOff + t * strideB, ldb,
                        c, cOff + t * strideC, ldc, accumulate, first, last);
            }
        });
    }

    /**
     * What the chunks of a few-rows {@code A·Bᵀ} hold a multiple of: whole panels where the product
     * may read the weights' panels ({@link SimdPanelGemv}), whose columns at a chunk's edges outside
     * a whole panel would take the row-pair kernel from the weights as they are; else 4.
     */
    private static int chunkColumnMultiple(int m) {
        return VectorSupport.available() && BatchInvariantProducts.frozenWeights() != null && m >= SimdPanelGemv.ROWS
                ? SimdPanelGemv.PANEL : 4;
    }

    /**
     * {@link #fewRows}'s {@code A·Bᵀ} with B in bf16: the rows of A are prepared for the kernel once per
     * matrix of the batch, then shared by every chunk. (The other form, {@code A·B}, only backward
     * passes of a few rows take; they widen B.)
     */
    private void fewRowsBf16(int batch, int m, int n, int k, float[] a, int aOff, int strideA, int lda, short[] b, int bOff,
                             int strideB, int ldb, float[] c, int cOff, int strideC, int ldc, boolean accumulate) {
        float[][] prepared = new float[batch][];
        for (int t = 0; t < batch; t++) {
            prepared[t] = bf16Gemv.prepare(m, k, a, aOff + t * strideA, lda);
        }
        byColumns(batch, m, n, k, 4, (t, first, last) ->
                bf16Gemv.rowsTimesTransposed(m, k, prepared[t], b, bOff + t * strideB, ldb,
                        c, cOff + t * strideC, ldc, accumulate, first, last));
    }

    /**
     * Splits the {@code batch × n} output columns into chunks of a multiple of {@code minColumns}
     * columns ({@link #fewRowsChunks}) that the threads claim as they go.
     */
    private void byColumns(int batch, int m, int n, int k, int minColumns, ColumnRange columns) {
        int cells = batch * n;
        int chunks = fewRowsChunks((long) cells * k * m, parallel.threadsHere());
        int chunkColumns = Math.ceilDiv(Math.ceilDiv(cells, chunks), minColumns) * minColumns;
        parallel.forChunks(cells, chunkColumns, (from, to) -> {
            for (int cell = from; cell < to; ) {
                int t = cell / n;
                int first = cell % n;
                int last = Math.min(n, first + (to - cell));
                columns.run(t, first, last);
                cell += last - first;
            }
        });
    }

    /**
     * Chunks for a few-rows product of {@code multiplyAdds} on {@code threads} threads: one (the
     * calling thread alone) below two threads' {@link #FEW_ROWS_MIN_PER_THREAD}; otherwise one per
     * thread that gets that much, or {@link #FEW_ROWS_TASKS_PER_THREAD} per thread once every chunk
     * still gets that much.
     */
    private static int fewRowsChunks(long multiplyAdds, int threads) {
        long shares = multiplyAdds / FEW_ROWS_MIN_PER_THREAD;
        if (shares < 2 || threads < 2) {
            return 1;
        }
        return (int) Math.min(shares >= (long) threads * FEW_ROWS_TASKS_PER_THREAD ? (long) threads * FEW_ROWS_TASKS_PER_THREAD
                : threads, shares);
    }
}
