package dev.mixtape.engine;

/**
 * The fused computations of the ops, as each op runs them on a backend (its capability where the
 * backend has one, else the op's composition of primitives), for tests outside this package that
 * compare backends kernel by kernel.
 */
public final class FusedKernels {
    private FusedKernels() {
    }

    /** {@link FusedLinearCrossEntropy#linearCrossEntropy}, as {@link F#linearCrossEntropy} computes it on {@code backend}. */
    public static void linearCrossEntropy(Backend backend, Tensor x, Tensor weight, int[] targets, int ignoreIndex,
                                          double scale, Tensor losses, Tensor dx, Tensor dWeight) {
        LinearCrossEntropyOp.compute(backend, x, weight, targets, ignoreIndex, scale, losses, dx, dWeight);
    }

    /** {@link MatmulLowRankEpilogue#matmulPlusLowRank}, as {@link F#lowRankLinear} computes it on {@code backend}. */
    public static void matmulPlusLowRank(Backend backend, Tensor a, Tensor b, boolean transB, Tensor low, Tensor lowB,
                                         boolean transLowB, Tensor out) {
        LowRankLinearOp.productPlusLowRank(backend, a, b, transB, low, lowB, transLowB, out);
    }
}
