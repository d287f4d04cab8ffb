package dev.mixtape.engine;

import java.util.Arrays;

/**
 * A linear map with a low-rank term beside its weight, fused:
 * {@code y = x·Wᵀ + s·(u·Dᵀ)·Uᵀ} for {@code x, u [..., in]}, {@code W [out, in]}, a down-projection
 * {@code D [r, in]} and an up-projection {@code U [out, r]}, where u is x or a variant of it (x after
 * dropout, say). The adapters module builds its low-rank adapters on it.
 *
 * <p>Composed from separate ops, such a layer holds three {@code [rows, out]} tensors in its forward
 * pass (the base output, the low-rank output, their sum) and three {@code [rows, in]} ones in its
 * backward pass (two input gradients and their sum), and makes a pass over memory for each addition.
 * Here the low-rank product is added into the base output, and its input gradient into the base's,
 * as a matmul epilogue ({@link #productPlusLowRank}), so each side holds one tensor: less to allocate,
 * zero and sweep in every step of fine-tuning. Beyond the inputs whose values a gradient needs, the backward keeps
 * only the rank-r intermediate {@code s·u·Dᵀ}.
 */
final class LowRankLinearOp {
    private LowRankLinearOp() {
    }

    static Tensor apply(Tensor x, Tensor weight, Tensor updateInput, Tensor down, Tensor up, double scale) {
        requireShapes(x, weight, updateInput, down, up);
        WeightOperand.check("lowRankLinear", x, weight);
        WeightOperand.check("lowRankLinear", x, down);
        WeightOperand.check("lowRankLinear", x, up);
        Backend backend = x.backend();
        DType dtype = x.dtype();
        int in = weight.dim(1);
        int out = weight.dim(0);
        int rank = down.dim(0);
        boolean sameInput = updateInput == x;
        Tensor x2;
        Tensor u2;
        Tensor weightData;
        Tensor downData;
        Tensor upData;
        Tensor scaledHidden;
        Tensor y;
        try (var scope = Grad.off()) {
            x2 = x.contiguous().reshape(-1, in);
            weightData = weight.contiguous();
            downData = down.contiguous();
            upData = up.contiguous();
            u2 = sameInput ? x2 : updateInput.contiguous().reshape(-1, in);
            int rows = x2.dim(0);
            Tensor hidden = Tensor.forOverwrite(backend, dtype, rows, rank);
            backend.matmul(u2, false, downData, true, hidden, false);
            scaledHidden = hidden.mul(scale);
            y = Tensor.forOverwrite(backend, dtype, rows, out);
            productPlusLowRank(backend, x2, weightData, true, scaledHidden, upData, true, y);
        }
        int[] outShape = x.shape().clone();
        outShape[outShape.length - 1] = out;
        int[] inShape = x.shape();
        boolean needX = x.requiresGrad();
        boolean needUpdateInput = !sameInput && updateInput.requiresGrad();
        boolean needWeight = weight.requiresGrad();
        boolean needDown = down.requiresGrad();
        boolean needUp = up.requiresGrad();
        Tensor keptX = needWeight ? x2 : null;
        Tensor keptU = needDown ? u2 : null;
        Tensor[] inputs = sameInput ? new Tensor[] {x, weight, down, up} : new Tensor[] {x, weight, updateInput, down, up};
        return Tape.record("lowRankLinear", y.reshape(outShape), g -> {
            Tensor g2 = g.contiguous().reshape(-1, out);
            int rows = g2.dim(0);
            // dU = gᵀ·(s·u·Dᵀ), as the transpose of (s·u·Dᵀ)ᵀ·g: the matmul gathers its transposed left
            // operand element by element, which had better be the rank-r one than the [rows, out] gradient.
            Tensor dUp = needUp ? product(backend, dtype, scaledHidden, true, g2, false, rank, out).transpose(0, 1) : null;
            Tensor dHidden = needDown || needX || needUpdateInput
                    ? product(backend, dtype, g2, false, upData, false, rows, rank).mul(scale) : null;
            Tensor dDown = needDown ? product(backend, dtype, dHidden, true, keptU, false, rank, in) : null;
            Tensor dWeight = needWeight ? product(backend, dtype, g2, true, keptX, false, out, in) : null;
            Tensor dX = null;
            if (needX) {
                dX = Tensor.forOverwrite(backend, dtype, rows, in);
                if (sameInput) {
                    productPlusLowRank(backend, g2, weightData, false, dHidden, downData, false, dX);
                } else {
                    backend.matmul(g2, false, weightData, false, dX, false);
                }
                dX = dX.reshape(inShape);
            }
            if (sameInput) {
                return new Tensor[] {dX, dWeight, dDown, dUp};
            }
            Tensor dUpdateInput = needUpdateInput ? product(backend, dtype, dHidden, false, downData, false, rows, in).reshape(inShape) : null;
            return new Tensor[] {dX, dWeight, dUpdateInput, dDown, dUp};
        }, inputs);
    }

    /**
     * {@code out = a·op(b) + low·op(lowB)} ({@link MatmulLowRankEpilogue} for its operands): in one pass
     * where the backend can add the rank-r term to each block of the product, else as two products.
     */
    static void productPlusLowRank(Backend backend, Tensor a, Tensor b, boolean transB, Tensor low, Tensor lowB,
                                   boolean transLowB, Tensor out) {
        boolean fused = backend.capability(MatmulLowRankEpilogue.class)
                .map(kernel -> kernel.matmulPlusLowRank(a, b, transB, low, lowB, transLowB, out)).orElse(false);
        if (!fused) {
            backend.matmul(a, false, b, transB, out, false);
            backend.matmul(low, false, lowB, transLowB, out, true);
        }
    }

    /** {@code op(a)·op(b)} into a new {@code [m, n]} tensor. */
    private static Tensor product(Backend backend, DType dtype, Tensor a, boolean transA, Tensor b, boolean transB, int m, int n) {
        Tensor c = Tensor.forOverwrite(backend, dtype, m, n);
        backend.matmul(a, transA, b, transB, c, false);
        return c;
    }

    private static void requireShapes(Tensor x, Tensor weight, Tensor updateInput, Tensor down, Tensor up) {
        if (weight.rank() != 2 || down.rank() != 2 || up.rank() != 2 || x.rank() == 0) {
            throw new IllegalArgumentException("lowRankLinear: needs x [..., in], weight [out, in], down [r, in], up [out, r], got x "
                    + describe(x, weight, updateInput, down, up));
        }
        int in = weight.dim(1);
        int out = weight.dim(0);
        int rank = down.dim(0);
        if (x.dim(-1) != in || !Arrays.equals(x.shape(), updateInput.shape()) || down.dim(1) != in
                || up.dim(0) != out || up.dim(1) != rank) {
            throw new IllegalArgumentException("lowRankLinear: shapes do not fit x [..., in], weight [out, in], down [r, in], up [out, r]: x "
                    + describe(x, weight, updateInput, down, up));
        }
    }

    private static String describe(Tensor x, Tensor weight, Tensor updateInput, Tensor down, Tensor up) {
        return Shapes.str(x.shape()) + ", weight " + Shapes.str(weight.shape()) + ", update input " + Shapes.str(updateInput.shape())
                + ", down " + Shapes.str(down.shape()) + ", up " + Shapes.str(up.shape());
    }
}
