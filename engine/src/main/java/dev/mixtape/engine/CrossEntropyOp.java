package dev.mixtape.engine;

/**
 * Fused log-softmax + cross-entropy, numerically stable (log-sum-exp with the row maximum), mean
 * over the targets that are not {@code ignoreIndex}. Its backward never materialises the log-softmax.
 */
final class CrossEntropyOp {
    private CrossEntropyOp() {
    }

    static Tensor apply(Tensor logits, int[] targets, int ignoreIndex) {
        int vocab = logits.dim(-1);
        int rows = logits.numel() / vocab;
        int counted = countTargets(targets, rows, vocab, ignoreIndex, logits.shape());
        Tensor flat;
        try (var scope = Grad.off()) {
            flat = logits.contiguous().reshape(rows, vocab);
        }
        Backend backend = logits.backend();
        Tensor losses = Tensor.zeros(backend, logits.dtype(), rows);
        Tensor logSumExp = Tensor.zeros(backend, logits.dtype(), rows);
        backend.crossEntropy(flat, targets, ignoreIndex, losses, logSumExp);
        double scale = counted == 0 ? 0 : 1.0 / counted;
        Tensor loss;
        try (var scope = Grad.off()) {
            loss = losses.sum().mul(scale);
        }
        int[] shape = logits.shape();
        DType dtype = logits.dtype();
        return Tape.record("crossEntropy", loss, g -> {
            Tensor d = Tensor.zeros(backend, dtype, rows, vocab);
            backend.crossEntropyBackward(flat, targets, ignoreIndex, logSumExp, scale * g.item(), d);
            return new Tensor[] {d.reshape(shape)};
        }, logits);
    }

    /**
     * Checks one target per row, each in {@code [0, vocab)} or {@code ignoreIndex}, and returns how many
     * are not ignored; {@code shape} names the input in messages.
     */
    static int countTargets(int[] targets, int rows, int vocab, int ignoreIndex, int[] shape) {
        if (targets.length != rows) {
            throw new IllegalArgumentException("crossEntropy: " + targets.length + " targets for " + rows
                    + " rows of " + Shapes.str(shape));
        }
        int counted = 0;
        for (int i = 0; i < rows; i++) {
            int t = targets[i];
            if (t == ignoreIndex) {
                continue;
            }
            if (t < 0 || t >= vocab) {
                throw new IllegalArgumentException("crossEntropy: target " + t + " at row " + i + " outside vocabulary of " + vocab);
            }
            counted++;
        }
        return counted;
    }
}
