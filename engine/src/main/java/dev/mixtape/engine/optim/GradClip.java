package dev.mixtape.engine.optim;

import dev.mixtape.engine.ScalarOp;
import dev.mixtape.engine.Tensor;

import java.util.Collection;
import java.util.List;

/** Gradient clipping, as PyTorch's {@code torch.nn.utils.clip_grad_norm_}. */
public final class GradClip {
    private GradClip() {
    }

    /**
     * Scales the gradients of {@code params} in place so that their global L2 norm (all gradients
     * taken as one vector) is at most about {@code maxNorm}: when {@code maxNorm / (norm + 1e-6) < 1},
     * every gradient is multiplied by that factor. Parameters without a gradient are skipped. Returns
     * the norm before clipping (0 when no parameter has a gradient).
     *
     * <p>One deliberate difference from PyTorch: when the norm is not finite (an overflow or a NaN
     * upstream) the gradients are left untouched rather than turned into NaN, and the non-finite
     * norm is returned so the caller can skip the step.
     */
    public static double clipGlobalNorm(Collection<Tensor> params, double maxNorm) {
        if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) {
            throw new IllegalArgumentException("maxNorm must be finite and > 0, got " + maxNorm);
        }
        double norm = globalNorm(params.stream().map(Tensor::grad).toList());
        double scale = maxNorm / (norm + 1e-6);
        if (Double.isFinite(norm) && scale < 1) {
            for (Tensor p : params) {
                Tensor g = p.grad();
                if (g != null) {
                    g.backend().scalar(ScalarOp.MUL, g, scale, g);
                }
            }
        }
        return norm;
    }

    /** The L2 norm of {@code tensors} taken as one vector, each squared and summed in double; nulls count as zero. */
    public static double globalNorm(List<Tensor> tensors) {
        double sumOfSquares = 0;
        for (Tensor tensor : tensors) {
            if (tensor != null) {
                sumOfSquares += tensor.backend().sumOfSquares(tensor);
            }
        }
        return Math.sqrt(sumOfSquares);
    }
}
