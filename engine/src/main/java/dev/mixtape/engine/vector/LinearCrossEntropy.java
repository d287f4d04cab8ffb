package dev.mixtape.engine.vector;

import dev.mixtape.engine.ScalarOp;

import java.util.Arrays;

/**
 * The Vector backend's fused output head and cross-entropy ({@link dev.mixtape.engine.Backend#linearCrossEntropy}):
 * the logits {@code x·Wᵀ} of a block of rows at a time, each row's log-sum-exp and loss, the row
 * turned in place into its gradient {@code scale·(softmax − onehot)}, and that block's share of
 * {@code dx = dLogits·W} and {@code dW += dLogitsᵀ·x}, before the next block reuses the buffer. The
 * weight is packed for the micro-kernel once per call in each of the two layouts the products read,
 * so the blocks cost no more packing than one whole product would; the logits, [rows, vocab] and
 * by far the largest tensor of a training step, never exist whole.
 */
final class LinearCrossEntropy {
    /** Logits held at once by default, in floats: 32 MiB, a block of 262 rows at a vocabulary of 32000. */
    static final int BLOCK_FLOATS = 1 << 23;

    private final Parallel parallel;
    private final ArrayKernels kernels;
    private final Sgemm sgemm;
    private final int blockFloats;
    private final BufferPool blocks = new BufferPool();

    /** A head whose blocks hold at most {@code blockFloats} logits (at least one row). */
    LinearCrossEntropy(Parallel parallel, ArrayKernels kernels, Sgemm sgemm, int blockFloats) {
        this.parallel = parallel;
        this.kernels = kernels;
        this.sgemm = sgemm;
        this.blockFloats = blockFloats;
    }

    /**
     * For {@code x [rows, dim]} at {@code xOff} and {@code w [vocab, dim]} at {@code wOff}: writes each
     * row's loss to {@code losses[lossOff + i]}; when {@code dx} is not null writes the gradient of
     * {@code scale · Σ losses} with respect to x there ({@code [rows, dim]} at {@code dxOff}); when
     * {@code dw} is not null adds the gradient with respect to w there ({@code [vocab, dim]} at {@code dwOff}).
     */
    void run(int rows, int dim, int vocab, float[] x, int xOff, float[] w, int wOff, int[] targets, int ignoreIndex,
             float scale, float[] losses, int lossOff, float[] dx, int dxOff, float[] dw, int dwOff) {
        if (rows == 0) {
            return;
        }
        boolean gradients = dx != null || dw != null;
        int blockRows = Math.max(1, Math.min(rows, blockFloats / vocab));
        Sgemm.PackedB head = sgemm.pack(true, vocab, dim, w, wOff, dim);
        Sgemm.PackedB weight = dx == null ? null : sgemm.pack(false, dim, vocab, w, wOff, dim);
        float[] logits = blocks.take(blockRows * vocab);
        try {
            for (int row0 = 0; row0 < rows; row0 += blockRows) {
                int n = Math.min(blockRows, rows - row0);
                int first = row0;
                sgemm.multiply(head, false, n, x, xOff + first * dim, dim, logits, 0, vocab, false);
                parallel.forRange(n, 1, (from, to) -> {
                    for (int i = from; i < to; i++) {
                        lossAndGradient(logits, i * vocab, vocab, targets[first + i], ignoreIndex, scale, gradients,
                                losses, lossOff + first + i);
                    }
                });
                if (dx != null) {
                    sgemm.multiply(weight, false, n, logits, 0, vocab, dx, dxOff + first * dim, dim, false);
                }
                if (dw != null) {
                    sgemm.multiply(1, true, false, vocab, dim, n, logits, 0, 0, vocab, x, xOff + first * dim, 0, dim,
                            dw, dwOff, 0, dim, true);
                }
            }
        } finally {
            blocks.give(logits);
            sgemm.release(head);
            if (weight != null) {
                sgemm.release(weight);
            }
        }
    }

    /**
     * One row of logits at {@code row}: its loss {@code logsumexp − logit[target]} (0 when ignored)
     * into {@code losses[lossIndex]}, then, when {@code gradient}, the row replaced by
     * {@code scale·(softmax − onehot(target))} (zeros when ignored).
     */
    private void lossAndGradient(float[] logits, int row, int vocab, int target, int ignoreIndex, float scale,
                                 boolean gradient, float[] losses, int lossIndex) {
        boolean ignored = target == ignoreIndex;
        float targetLogit = ignored ? 0f : logits[row + target];
        float max = kernels.max(logits, row, vocab);
        float sum = kernels.expShifted(logits, row, max, logits, row, vocab);
        losses[lossIndex] = ignored ? 0f : max + (float) Math.log(sum) - targetLogit;
        if (!gradient) {
            return;
        }
        if (ignored) {
            Arrays.fill(logits, row, row + vocab, 0f);
            return;
        }
        kernels.scalar(ScalarOp.MUL, logits, row, scale / sum, logits, row, vocab);
        logits[row + target] -= scale;
    }
}
