package dev.mixtape.engine;

/**
 * A {@link Backend} capability: the output head and cross-entropy fused ({@link F#linearCrossEntropy}),
 * the logits computed a tile of rows at a time and never held whole. Without it, the op composes
 * {@link Backend#matmul}, {@link Backend#crossEntropy} and {@link Backend#crossEntropyBackward} block
 * by block ({@link BlockedLinearCrossEntropy}).
 */
public interface FusedLinearCrossEntropy {
    /**
     * For contiguous {@code x [N, D]} and {@code weight [V, D]}, with {@code logits = x·weightᵀ}: writes
     * {@code losses[i] = logsumexp(logits[i]) − logits[i, targets[i]]} (0 where the target is
     * {@code ignoreIndex}) into contiguous {@code losses [N]}; when {@code dx} is not null, writes the
     * gradient of {@code scale · Σ losses} with respect to x into it ({@code [N, D]}); when
     * {@code dWeight} is not null, adds the gradient with respect to the weight to it ({@code [V, D]}).
     */
    void linearCrossEntropy(Tensor x, Tensor weight, int[] targets, int ignoreIndex, double scale, Tensor losses,
                            Tensor dx, Tensor dWeight);
}
