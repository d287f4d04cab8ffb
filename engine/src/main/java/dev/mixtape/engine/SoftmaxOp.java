package dev.mixtape.engine;

/** Softmax over the last dimension, optionally causally masked, with its backward. */
final class SoftmaxOp {
    private SoftmaxOp() {
    }

    /** See {@link Backend#softmax} for {@code causalPeriod} and {@code causalOffset} (0, 0: no mask). */
    static Tensor apply(Tensor x, int causalPeriod, int causalOffset) {
        Tensor xc;
        try (var scope = Grad.off()) {
            xc = x.contiguous();
        }
        Backend backend = x.backend();
        DType dtype = x.dtype();
        int[] shape = x.shape();
        Tensor y = Tensor.zeros(backend, dtype, shape);
        backend.softmax(xc, causalPeriod, causalOffset, y);
        return Tape.record("softmax", y, g -> {
            Tensor dx = Tensor.zeros(backend, dtype, shape);
            backend.softmaxBackward(y, g.contiguous(), dx);
            return new Tensor[] {dx};
        }, x);
    }
}
