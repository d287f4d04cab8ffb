package dev.mixtape.engine.nn;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.F;
import dev.mixtape.engine.Tensor;

/**
 * Root-mean-square normalisation over the last dimension, {@code w ⊙ x / sqrt(mean(x²) + eps)}, like
 * PyTorch's {@code nn.RMSNorm} and Llama's norm: parameter {@code weight} is {@code [dim]}, initialised
 * to ones. {@code eps} is given explicitly because models differ (Llama 2: 1e-5, Llama 3: 1e-5 or 1e-6).
 */
public final class RMSNorm extends Module {
    private final double eps;

    /** A norm over vectors of size {@code dim} on {@code backend}. */
    public RMSNorm(Backend backend, int dim, double eps) {
        if (dim <= 0) {
            throw new IllegalArgumentException("RMSNorm needs a positive dim, got " + dim);
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("RMSNorm needs eps > 0, got " + eps);
        }
        this.eps = eps;
        registerParameter("weight", Tensor.full(backend, DType.F32, 1.0, dim));
    }

    /** The normalised {@code x [..., dim]}, same shape. */
    public Tensor forward(Tensor x) {
        return F.rmsNorm(x, weight(), eps);
    }

    /** The scale {@code [dim]}. */
    public Tensor weight() {
        return parameter("weight");
    }

    /** The constant added to the mean square before the square root. */
    public double eps() {
        return eps;
    }
}
