package dev.mixtape.engine.vector;

import dev.mixtape.engine.BinaryOp;
import dev.mixtape.engine.ScalarOp;

import java.util.Arrays;

/**
 * The Vector backend's fused output head and cross-entropy ({@link dev.mixtape.engine.FusedLinearCrossEntropy})
 * when the weight's gradient is wanted (full training of the head): the logits {@code x·Wᵀ} of a block
 * of rows at a time, each row's log-sum-exp and loss, the row turned in place into its gradient
 * {@code scale·(softmax − onehot)}, and that block's share of {@code dW += dLogitsᵀ·x} and, when
 * wanted, of {@code dx = dLogits·W}, before the next block reuses the buffer. The weight gradient
 * needs each row's whole softmax before any of its logits can become a gradient, hence blocks of
 * whole rows; without it, {@link TiledLinearCrossEntropy} cuts the vocabulary too. The weight is
 * packed for the micro-kernel once per call in each of the two layouts the products read, so the
 * blocks cost no more packing than one whole product would; the logits, [rows, vocab] and by far the
 * largest tensor of a training step, never exist whole.
 *
 * <p>The input gradient {@code dLogits·W} is small ([rows, dim]) but sums over the whole vocabulary,
 * and both of its operands are large: a block of logits and the weight. Split between threads by
 * rows or columns of dx, every thread would read one of them whole. Instead the vocabulary is cut
 * into parts ({@link #VOCAB_PART} tokens by default), each thread computes whole partial gradients
 * for the parts it claims, and the partials are added up in part order, so both operands are read
 * once and the result does not depend on the number of threads.
 */
final class LinearCrossEntropy {
    /** Logits held at once by default, in floats: 32 MiB, a block of 262 rows at a vocabulary of 32000. */
    static final int BLOCK_FLOATS = 1 << 23;
    /** Tokens of the vocabulary per partial input gradient by default: 8 parts for 32000, 12 for 49152. */
    static final int VOCAB_PART = 4096;
    /** Elements of dx below which finishing it (partials, scaling) is not worth handing to another thread. */
    private static final int FINISH_MIN_PER_TASK = 1 << 14;

    private final Parallel parallel;
    private final ArrayKernels kernels;
    private final Sgemm sgemm;
    private final int blockFloats;
    private final int vocabPart;
    private final BufferPool blocks = new BufferPool();
    private final BufferPool partials = new BufferPool();

    /**
     * A head whose blocks hold at most {@code blockFloats} logits (at least one row) and whose input
     * gradient sums partials over {@code vocabPart} tokens each.
     */
    LinearCrossEntropy(Parallel parallel, ArrayKernels kernels, Sgemm sgemm, int blockFloats, int vocabPart) {
        if (vocabPart < 1) {
            throw new IllegalArgumentException("vocabulary part must be at least 1 token, got " + vocabPart);
        }
        this.parallel = parallel;
        this.kernels = kernels;
        this.sgemm = sgemm;
        this.blockFloats = blockFloats;
        this.vocabPart = vocabPart;
    }

    /**
     * For {@code x [rows, dim]} at {@code xOff} and {@code w [vocab, dim]} at {@code wOff}: writes each
     * row's loss to {@code losses[lossOff + i]}, adds the gradient of {@code scale · Σ losses} with
     * respect to w to {@code dw} ({@code [vocab, dim]} at {@code dwOff}) and, when {@code dx} is not
     * null, writes the gradient with respect to x there ({@code [rows, dim]} at {@code dxOff}).
     */
    void run(int rows, int dim, int vocab, float[] x, int xOff, float[] w, int wOff, int[] targets, int ignoreIndex,
             float scale, float[] losses, int lossOff, float[] dx, int dxOff, float[] dw, int dwOff) {
        if (dw == null) {
            throw new IllegalArgumentException("the row-block head computes the weight's gradient; without one use the tiled head");
        }
        if (rows == 0) {
            return;
        }
        int blockRows = Math.max(1, Math.min(rows, blockFloats / vocab));
        int parts = (vocab + vocabPart - 1) / vocabPart;
        Sgemm.PackedB head = sgemm.pack(true, vocab, dim, w, wOff, dim);
        Sgemm.PackedB[] weightParts = dx == null ? null : packParts(w, wOff, dim, vocab, parts);
        float[] logits = blocks.take(blockRows * vocab);
        float[] partialDx = dx == null ? null : partials.take((parts - 1) * blockRows * dim);
        try {
            for (int row0 = 0; row0 < rows; row0 += blockRows) {
                int n = Math.min(blockRows, rows - row0);
                int first = row0;
                sgemm.multiply(head, false, n, x, xOff + first * dim, dim, logits, 0, vocab, false);
                parallel.forRange(n, 1, (from, to) -> {
                    for (int i = from; i < to; i++) {
                        int target = targets[first + i];
                        float sum = lossAndExponentials(logits, i * vocab, vocab, target, ignoreIndex, losses, lossOff + first + i);
                        if (target == ignoreIndex) {
                            Arrays.fill(logits, i * vocab, (i + 1) * vocab, 0f);
                        } else {
                            kernels.scalar(ScalarOp.MUL, logits, i * vocab, scale / sum, logits, i * vocab, vocab);
                            logits[i * vocab + target] -= scale;
                        }
                    }
                });
                if (dx != null) {
                    inputGradient(weightParts, vocab, dim, n, logits, partialDx, dx, dxOff + first * dim);
                    addPartials(dim, n, parts - 1, partialDx, dx, dxOff + first * dim);
                }
                sgemm.multiply(1, true, false, vocab, dim, n, logits, 0, 0, vocab, x, xOff + first * dim, 0, dim,
                        dw, dwOff, 0, dim, true);
            }
        } finally {
            blocks.give(logits);
            sgemm.release(head);
            if (weightParts != null) {
                partials.give(partialDx);
                for (Sgemm.PackedB part : weightParts) {
                    sgemm.release(part);
                }
            }
        }
    }

    /** Part p of the vocabulary's weight rows packed as a {@code [part, dim]} right operand, for each p. */
    private Sgemm.PackedB[] packParts(float[] w, int wOff, int dim, int vocab, int parts) {
        Sgemm.PackedB[] packed = new Sgemm.PackedB[parts];
        for (int p = 0; p < parts; p++) {
            int token0 = p * vocabPart;
            packed[p] = sgemm.pack(false, dim, Math.min(vocabPart, vocab - token0), w, wOff + token0 * dim, dim);
        }
        return packed;
    }

    /**
     * The products {@code logits·W} for a block of {@code n} rows, one per part of the vocabulary:
     * part 0's goes straight into dx, part p's into slot p − 1 of {@code partialDx}, the threads
     * claiming parts one at a time.
     */
    private void inputGradient(Sgemm.PackedB[] weightParts, int vocab, int dim, int n, float[] logits, float[] partialDx,
                               float[] dx, int dxOff) {
        int size = n * dim;
        parallel.forChunks(weightParts.length, 1, (from, to) -> {
            for (int p = from; p < to; p++) {
                float[] out = p == 0 ? dx : partialDx;
                int outOff = p == 0 ? dxOff : (p - 1) * size;
                sgemm.multiply(weightParts[p], false, n, logits, p * vocabPart, vocab, out, outOff, dim, false);
            }
        });
    }

    /** Adds the {@code partialCount} partials of {@link #inputGradient} to dx in part order, row by row. */
    private void addPartials(int dim, int n, int partialCount, float[] partialDx, float[] dx, int dxOff) {
        if (partialCount == 0) {
            return;
        }
        int size = n * dim;
        parallel.forRange(n, Math.max(1, FINISH_MIN_PER_TASK / dim), (from, to) -> {
            for (int i = from; i < to; i++) {
                int row = dxOff + i * dim;
                for (int p = 0; p < partialCount; p++) {
                    kernels.binary(BinaryOp.ADD, dx, row, partialDx, p * size + i * dim, dx, row, dim);
                }
            }
        });
    }

    /**
     * One row of logits at {@code row}: its loss {@code logsumexp − logit[target]} (0 when ignored)
     * into {@code losses[lossIndex]}; the row is replaced by {@code exp(logit − max)}, whose sum is returned.
     */
    private float lossAndExponentials(float[] logits, int row, int vocab, int target, int ignoreIndex, float[] losses,
                                      int lossIndex) {
        boolean ignored = target == ignoreIndex;
        float targetLogit = ignored ? 0f : logits[row + target];
        float max = kernels.max(logits, row, vocab);
        float sum = kernels.expShifted(logits, row, max, logits, row, vocab);
        losses[lossIndex] = ignored ? 0f : max + (float) Math.log(sum) - targetLogit;
        return sum;
    }
}
