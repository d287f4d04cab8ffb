package dev.mixtape.engine.vector;

/**
 * Causal attention of a few query rows per head (decoding: one token) as one job over the heads: a
 * task runs one matrix of {@link dev.mixtape.engine.AttentionOp}'s {@code [B, nKV, group·T, d]} stack
 * from start to end — scores {@code q·Kᵀ} over the keys the rows see, the masked softmax, {@code P·V}
 * — so that on two threads each takes half of the heads (as llama2.c's run.c splits its attention),
 * where the op's blockwise composition ran the three steps one after the other, each on the calling
 * thread alone. Each step calls the kernel, with the operands and summation order, that
 * {@link dev.mixtape.engine.Backend#matmul}'s few-rows path and {@link dev.mixtape.engine.Backend#softmax}
 * use for that one block, so the output is theirs bit for bit. No probabilities are kept (the op's
 * backward computes them again). Attention over few keys stays on the calling thread: below
 * {@link #MIN_MULTIPLY_ADDS_PER_THREAD} a second thread's share does not pay for handing it over.
 */
final class FewQueryAttention {
    /**
     * Multiply-adds of the two products per thread below which the heads are not split: some 128 KB of
     * keys and values, read from the caches where this token's keys were just written (stories15M's
     * heads are split from about 114 cached positions on).
     */
    private static final int MIN_MULTIPLY_ADDS_PER_THREAD = 1 << 15;

    private final Parallel parallel;
    private final ArrayKernels kernels;
    private final Gemv gemv;

    FewQueryAttention(Parallel parallel, ArrayKernels kernels, Gemv gemv) {
        this.parallel = parallel;
        this.kernels = kernels;
        this.gemv = gemv;
    }

    /** {@code out = softmax(mask(q·kᵀ))·v} for every matrix of the stack (q already scaled). */
    void forward(FusedAttention.Shape shape, StridedMatrix q, StridedMatrix k, StridedMatrix v, StridedMatrix out) {
        int rows = shape.rows();
        int d = shape.d();
        int visible = shape.positionOffset() + shape.seq();
        long multiplyAdds = 2L * shape.matrices() * rows * visible * d;
        int tasks = (int) Math.min(shape.matrices(), Math.max(1, multiplyAdds / MIN_MULTIPLY_ADDS_PER_THREAD));
        int perTask = Math.ceilDiv(shape.matrices(), Math.min(tasks, parallel.threadsHere()));
        parallel.forChunks(shape.matrices(), perTask, (from, to) -> {
            float[] scores = new float[rows * visible];
            for (int t = from; t < to; t++) {
                gemv.rowsTimesTransposed(rows, d, q.data(), q.index(t, 0, 0), q.rowStride(), k.data(), k.index(t, 0, 0),
                        k.rowStride(), scores, 0, visible, false, 0, visible);
                for (int r = 0; r < rows; r++) {
                    kernels.softmax(scores, r * visible, scores, r * visible, shape.visible(r), visible);
                }
                gemv.rowsTimes(rows, visible, scores, 0, visible, v.data(), v.index(t, 0, 0), v.rowStride(),
                        out.data(), out.index(t, 0, 0), out.rowStride(), false, 0, d);
            }
        });
    }
}
