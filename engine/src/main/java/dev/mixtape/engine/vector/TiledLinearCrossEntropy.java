package dev.mixtape.engine.vector;

import dev.mixtape.engine.ScalarOp;

import java.util.Arrays;

/**
 * The Vector backend's fused output head and cross-entropy when the weight needs no gradient (a
 * frozen head, as in LoRA fine-tuning, or losses alone): the logits {@code x·Wᵀ} are computed one
 * tile at a time, a block of rows against a part of the vocabulary, and each tile is used up while it
 * is still in cache. A tile's rows are turned into {@code exp(logit − max)} against the tile's own
 * maxima, and with dx wanted the tile's share of it, {@code exp·W_part}, is computed at once. The
 * threads claim parts of the vocabulary one at a time, each packing its part's weight rows for the
 * micro-kernel and running every block of rows against it, and meet only at the end. Only the parts
 * being worked on are packed at a time, so the head costs a few parts' floats beside the weight, and
 * a weight kept in blocks ({@link HeadWeight.Blocks}) is never in floats whole.
 *
 * <p>At the end each row combines its parts as an online softmax does: with {@code M} the largest of
 * the parts' maxima {@code m_p} and {@code s_p} their sums of exponentials, the row's sum is
 * {@code S = Σ s_p·exp(m_p − M)}, its loss {@code M + log S − logit[target]}, and its input gradient
 * {@code dx = Σ (scale·exp(m_p − M)/S)·partial_p − scale·W[target]}. The partials are added in part
 * order, so the result does not depend on which thread computed which tile, nor on their number.
 *
 * <p>Compared with computing the logits of a block of rows over the whole vocabulary at once
 * ({@link LinearCrossEntropy}, which the weight's gradient needs), no array larger than a tile ever
 * goes through memory: measured on the stories15M head (2048 rows, 288 × 32000), both products ran
 * about 5% faster and the exponentials read their tile from cache.
 */
final class TiledLinearCrossEntropy {
    /** Rows of a tile by default. */
    static final int TILE_ROWS = 256;
    /** Tokens of the vocabulary in a tile by default: a tile of 256 × 2048 logits is 2 MiB. */
    static final int VOCAB_PART = 2048;
    /**
     * Floats of partial input gradients held at once by default: rows are taken in groups that fit (16 MiB, at
     * least one tile of rows), and the weight is packed again for each group. The buffer stays in a
     * pool between calls, so it is part of a training step's live heap: at SmolLM2-135M's head (49,152
     * × 576, 1,024 rows) a group of 256 rows holds 14 MB where 32 MiB groups of 512 held 28 MB, for
     * two more packings of the head per step.
     */
    static final int PARTIAL_FLOATS = 1 << 22;
    /** Rows below which finishing them is not worth handing to another thread. */
    private static final int FINISH_MIN_ROWS = 16;

    private final Parallel parallel;
    private final ArrayKernels kernels;
    private final Sgemm sgemm;
    private final int tileRows;
    private final int vocabPart;
    private final int partialFloats;
    private final BufferPool tiles = new BufferPool();
    private final BufferPool partials = new BufferPool();

    /**
     * A head cut into tiles of {@code tileRows} rows by {@code vocabPart} tokens, whose input gradients
     * hold at most {@code partialFloats} floats of partials at once (tests use small ones).
     */
    TiledLinearCrossEntropy(Parallel parallel, ArrayKernels kernels, Sgemm sgemm, int tileRows, int vocabPart, int partialFloats) {
        if (tileRows < 1 || vocabPart < 1) {
            throw new IllegalArgumentException("tiles need at least 1 row and 1 token, got " + tileRows + " × " + vocabPart);
        }
        this.parallel = parallel;
        this.kernels = kernels;
        this.sgemm = sgemm;
        this.tileRows = tileRows;
        this.vocabPart = vocabPart;
        this.partialFloats = partialFloats;
    }

    /**
     * For {@code x [rows, dim]} at {@code xOff} and {@code w [vocab, dim]} at {@code wOff}: writes each
     * row's loss to {@code losses[lossOff + i]} (0 where the target is {@code ignoreIndex}) and, when
     * {@code dx} is not null, the gradient of {@code scale · Σ losses} with respect to x there
     * ({@code [rows, dim]} at {@code dxOff}).
     */
    void run(int rows, int dim, int vocab, float[] x, int xOff, float[] w, int wOff, int[] targets, int ignoreIndex,
             float scale, float[] losses, int lossOff, float[] dx, int dxOff) {
        run(rows, dim, vocab, x, xOff, new HeadWeight.Floats(w, wOff, dim), targets, ignoreIndex, scale, losses, lossOff, dx, dxOff);
    }

    /** {@link #run(int, int, int, float[], int, float[], int, int[], int, float, float[], int, float[], int)} for a weight kept as floats or blocks. */
    void run(int rows, int dim, int vocab, float[] x, int xOff, HeadWeight w, int[] targets, int ignoreIndex,
             float scale, float[] losses, int lossOff, float[] dx, int dxOff) {
        if (rows == 0) {
            return;
        }
        int parts = (vocab + vocabPart - 1) / vocabPart;
        int groupRows = dx == null ? rows : Math.max(tileRows, partialFloats / (parts * dim) / tileRows * tileRows);
        float[] partialDx = dx == null ? null : partials.take(parts * Math.min(rows, groupRows) * dim);
        try {
            Parts state = new Parts(parts, rows);
            for (int group0 = 0; group0 < rows; group0 += groupRows) {
                Group group = new Group(group0, Math.min(groupRows, rows - group0));
                runTiles(group, dim, vocab, x, xOff, targets, w, state, partialDx);
                finish(group, dim, w, targets, ignoreIndex, scale, state, losses, lossOff, partialDx, dx, dxOff);
            }
        } finally {
            if (dx != null) {
                partials.give(partialDx);
            }
        }
    }

    /** Rows {@code [first, first + rows)}, whose partial input gradients are held at once. */
    private record Group(int first, int rows) {
    }

    /**
     * Per part p and row r, at {@code p·rows + r}: the largest logit of the row within the part and
     * the sum of its exponentials against that maximum; per row, the target's logit.
     */
    private record Parts(int count, int rows, float[] maxima, float[] sums, float[] targetLogits) {
        Parts(int count, int rows) {
            this(count, rows, new float[count * rows], new float[count * rows], new float[rows]);
        }
    }

    /**
     * Every tile of a group, the threads claiming parts of the vocabulary one at a time: a part's
     * weight rows are packed (in both layouts when dx is wanted), then each block of rows against it
     * gives its logits, their maxima and exponentials, and its partial input gradient into slot
     * {@code (part·group.rows + row)·dim} of {@code partialDx}. Only the parts being worked on are
     * ever packed, never the whole weight.
     */
    private void runTiles(Group group, int dim, int vocab, float[] x, int xOff, int[] targets, HeadWeight w, Parts state,
                          float[] partialDx) {
        int rowBlocks = (group.rows() + tileRows - 1) / tileRows;
        parallel.forChunks(state.count(), 1, (from, to) -> {
            float[] tile = tiles.take(tileRows * vocabPart);
            try {
                for (int part = from; part < to; part++) {
                    int token0 = part * vocabPart;
                    int tokens = Math.min(vocabPart, vocab - token0);
                    Sgemm.PackedB logitWeights = w.packForLogits(sgemm, token0, tokens);
                    Sgemm.PackedB gradientWeights = partialDx == null ? null : w.packForGradient(sgemm, token0, tokens);
                    try {
                        for (int block = 0; block < rowBlocks; block++) {
                            runTile(group, block * tileRows, part, token0, tokens, dim, x, xOff, targets, logitWeights,
                                    gradientWeights, state, tile, partialDx);
                        }
                    } finally {
                        sgemm.release(logitWeights);
                        if (gradientWeights != null) {
                            sgemm.release(gradientWeights);
                        }
                    }
                }
            } finally {
                tiles.give(tile);
            }
        });
    }

    /** The tile of rows {@code [blockRow0, blockRow0 + tileRows)} of a group against one part of the vocabulary. */
    private void runTile(Group group, int blockRow0, int part, int token0, int tokens, int dim, float[] x, int xOff, int[] targets,
                         Sgemm.PackedB logitWeights, Sgemm.PackedB gradientWeights, Parts state, float[] tile, float[] partialDx) {
        int row0 = group.first() + blockRow0;
        int n = Math.min(tileRows, group.rows() - blockRow0);
        sgemm.multiply(logitWeights, false, n, x, xOff + row0 * dim, dim, tile, 0, tokens, false);
        for (int i = 0; i < n; i++) {
            int row = row0 + i;
            int target = targets[row];
            if (target >= token0 && target < token0 + tokens) {
                state.targetLogits()[row] = tile[i * tokens + target - token0];
            }
            float max = kernels.max(tile, i * tokens, tokens);
            state.maxima()[part * state.rows() + row] = max;
            state.sums()[part * state.rows() + row] = kernels.expShifted(tile, i * tokens, max, tile, i * tokens, tokens);
        }
        if (partialDx != null) {
            sgemm.multiply(gradientWeights, false, n, tile, 0, tokens, partialDx, (part * group.rows() + blockRow0) * dim, dim, false);
        }
    }

    /** Each row of the group: its loss and, with {@code dx}, its input gradient from the partials (see the class comment). */
    private void finish(Group group, int dim, HeadWeight w, int[] targets, int ignoreIndex, float scale, Parts state,
                        float[] losses, int lossOff, float[] partialDx, float[] dx, int dxOff) {
        parallel.forRange(group.rows(), FINISH_MIN_ROWS, (from, to) -> {
            float[] weights = new float[state.count()];
            float[] scratch = dx == null ? null : new float[dim];
            for (int i = from; i < to; i++) {
                int row = group.first() + i;
                int target = targets[row];
                boolean ignored = target == ignoreIndex;
                float max = Float.NEGATIVE_INFINITY;
                for (int p = 0; p < state.count(); p++) {
                    max = Math.max(max, state.maxima()[p * state.rows() + row]);
                }
                float sum = 0f;
                for (int p = 0; p < state.count(); p++) {
                    weights[p] = (float) Math.exp(state.maxima()[p * state.rows() + row] - max);
                    sum += state.sums()[p * state.rows() + row] * weights[p];
                }
                losses[lossOff + row] = ignored ? 0f : max + (float) Math.log(sum) - state.targetLogits()[row];
                if (dx == null) {
                    continue;
                }
                int out = dxOff + row * dim;
                if (ignored) {
                    Arrays.fill(dx, out, out + dim, 0f);
                    continue;
                }
                kernels.scalar(ScalarOp.MUL, partialDx, i * dim, scale * weights[0] / sum, dx, out, dim);
                for (int p = 1; p < state.count(); p++) {
                    kernels.axpy(scale * weights[p] / sum, partialDx, (p * group.rows() + i) * dim, dx, out, dim);
                }
                w.addRow(kernels, -scale, target, dx, out, scratch);
            }
        });
    }
}
