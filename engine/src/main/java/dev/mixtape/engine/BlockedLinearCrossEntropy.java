package dev.mixtape.engine;

import java.util.Arrays;

/**
 * {@link FusedLinearCrossEntropy}'s computation composed from a backend's own primitives, one block of rows at a
 * time: the block's logits by {@link Backend#matmul}, its losses by {@link Backend#crossEntropy}, its
 * logit gradients by {@link Backend#crossEntropyBackward}, and from those its share of the input and
 * weight gradients by two more products. What a backend without a fused kernel runs.
 */
final class BlockedLinearCrossEntropy {
    /** Logits held at once by default, in elements. */
    static final int BLOCK_ELEMENTS = 1 << 23;

    private BlockedLinearCrossEntropy() {
    }

    /** See {@link FusedLinearCrossEntropy#linearCrossEntropy}; blocks hold at most {@code blockElements} logits (at least one row). */
    static void run(Backend backend, Tensor x, Tensor weight, int[] targets, int ignoreIndex, double scale, Tensor losses,
                    Tensor dx, Tensor dWeight, int blockElements) {
        int rows = x.dim(0);
        int vocab = weight.dim(0);
        DType dtype = x.dtype();
        int blockRows = Math.max(1, Math.min(rows, blockElements / vocab));
        try (var scope = Grad.off()) {
            for (int row0 = 0; row0 < rows; row0 += blockRows) {
                int row1 = Math.min(rows, row0 + blockRows);
                int n = row1 - row0;
                Tensor xs = x.slice(0, row0, row1);
                int[] blockTargets = Arrays.copyOfRange(targets, row0, row1);
                Tensor logits = Tensor.zeros(backend, dtype, n, vocab);
                Tensor logSumExp = Tensor.zeros(backend, dtype, n);
                backend.matmul(xs, false, weight, true, logits, false);
                backend.crossEntropy(logits, blockTargets, ignoreIndex, losses.slice(0, row0, row1), logSumExp);
                if (dx == null && dWeight == null) {
                    continue;
                }
                Tensor dLogits = Tensor.zeros(backend, dtype, n, vocab);
                backend.crossEntropyBackward(logits, blockTargets, ignoreIndex, logSumExp, scale, dLogits);
                if (dx != null) {
                    backend.matmul(dLogits, false, weight, false, dx.slice(0, row0, row1), false);
                }
                if (dWeight != null) {
                    backend.matmul(dLogits, true, xs, false, dWeight, true);
                }
            }
        }
    }
}
