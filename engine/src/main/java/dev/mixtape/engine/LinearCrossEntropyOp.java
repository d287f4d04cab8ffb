package dev.mixtape.engine;

/**
 * A language model's output head and its loss in one op: the mean cross-entropy of
 * {@code logits = x·Wᵀ} against one target per row, without the logits ever existing whole
 * ({@link FusedLinearCrossEntropy}). They are the largest tensor of a training step
 * ({@code [tokens, vocab]}, twice over with their gradient), and only the loss is needed.
 *
 * <p>The loss is the last op of a training forward pass and its own gradient is a scalar, so the
 * gradients of x and W are computed here, in the forward pass, while each block of logits is at
 * hand; the backward only scales them by the incoming gradient. They are computed only for inputs
 * that require a gradient while gradients are enabled (so evaluation under {@link Grad#off()} pays
 * for the forward alone), and a frozen weight gets none.
 */
final class LinearCrossEntropyOp {
    private LinearCrossEntropyOp() {
    }

    static Tensor apply(Tensor x, Tensor weight, int[] targets, int ignoreIndex) {
        if (weight.rank() != 2 || x.rank() == 0 || x.dim(-1) != weight.dim(1)) {
            throw new IllegalArgumentException("linearCrossEntropy: input " + Shapes.str(x.shape()) + " and weight "
                    + Shapes.str(weight.shape()) + " (expected [..., dim] and [vocab, dim])");
        }
        WeightOperand.check("linearCrossEntropy", x, weight);
        int dim = weight.dim(1);
        int vocab = weight.dim(0);
        int rows = x.numel() / dim;
        int counted = CrossEntropyOp.countTargets(targets, rows, vocab, ignoreIndex, x.shape());
        double scale = counted == 0 ? 0 : 1.0 / counted;
        boolean recording = Grad.isEnabled();
        boolean needX = recording && x.requiresGrad();
        boolean needW = recording && weight.requiresGrad();
        Backend backend = x.backend();
        DType dtype = x.dtype();
        Tensor flat;
        Tensor wc;
        try (var scope = Grad.off()) {
            flat = x.contiguous().reshape(rows, dim);
            wc = weight.contiguous();
        }
        Tensor losses = Tensor.forOverwrite(backend, dtype, rows);
        Tensor dx = needX ? Tensor.forOverwrite(backend, dtype, rows, dim) : null;
        Tensor dw = needW ? Tensor.zeros(backend, dtype, vocab, dim) : null;
        compute(backend, flat, wc, targets, ignoreIndex, scale, losses, dx, dw);
        Tensor loss;
        try (var scope = Grad.off()) {
            loss = losses.sum().mul(scale);
        }
        int[] xShape = x.shape();
        return Tape.record("linearCrossEntropy", loss, g -> {
            double s = g.item();
            return new Tensor[] {dx == null ? null : scaled(dx.reshape(xShape), s), dw == null ? null : scaled(dw, s)};
        }, x, weight);
    }

    private static Tensor scaled(Tensor gradient, double s) {
        return s == 1 ? gradient : gradient.mul(s);
    }

    /**
     * {@link FusedLinearCrossEntropy#linearCrossEntropy} for its operands: the backend's fused kernel
     * where it has one, else {@link BlockedLinearCrossEntropy}'s blocks of primitives.
     */
    static void compute(Backend backend, Tensor x, Tensor weight, int[] targets, int ignoreIndex, double scale,
                        Tensor losses, Tensor dx, Tensor dWeight) {
        backend.capability(FusedLinearCrossEntropy.class).ifPresentOrElse(
                kernel -> kernel.linearCrossEntropy(x, weight, targets, ignoreIndex, scale, losses, dx, dWeight),
                () -> BlockedLinearCrossEntropy.run(backend, x, weight, targets, ignoreIndex, scale, losses, dx, dWeight,
                        BlockedLinearCrossEntropy.BLOCK_ELEMENTS));
    }
}
