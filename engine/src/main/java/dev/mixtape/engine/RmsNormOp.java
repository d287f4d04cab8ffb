package dev.mixtape.engine;

/** Fused RMSNorm over the last dimension, {@code w ⊙ x / sqrt(mean(x²) + eps)}, with its backward. */
final class RmsNormOp {
    private RmsNormOp() {
    }

    static Tensor apply(Tensor x, Tensor weight, double eps) {
        int dim = x.dim(-1);
        if (weight.rank() != 1 || weight.dim(0) != dim) {
            throw new IllegalArgumentException("rmsNorm: weight " + Shapes.str(weight.shape()) + " for input " + Shapes.str(x.shape()));
        }
        Tensor xc;
        Tensor wc;
        try (var scope = Grad.off()) {
            xc = x.contiguous();
            wc = weight.contiguous();
        }
        Backend backend = x.backend();
        DType dtype = x.dtype();
        int[] shape = x.shape();
        Tensor out = Tensor.forOverwrite(backend, dtype, shape);
        Tensor invRms = Tensor.forOverwrite(backend, dtype, x.numel() / dim);
        backend.rmsNorm(xc, wc, eps, out, invRms);
        boolean needWeight = weight.requiresGrad();
        return Tape.record("rmsNorm", out, g -> {
            Tensor dx = Tensor.forOverwrite(backend, dtype, shape);
            Tensor dw = needWeight ? Tensor.zeros(backend, dtype, dim) : null;
            backend.rmsNormBackward(xc, wc, invRms, g.contiguous(), dx, dw);
            return new Tensor[] {dx, dw};
        }, x, weight);
    }
}
