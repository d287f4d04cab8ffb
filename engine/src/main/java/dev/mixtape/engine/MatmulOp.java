package dev.mixtape.engine;

import java.util.Arrays;

/**
 * Batched matrix product with its backward. Operands that are transposed views of contiguous data
 * (for example {@code w.transpose(0, 1)} in a linear layer) are handed to the backend with a
 * transpose flag instead of being copied, and gradients are computed directly in the layout of the
 * data they belong to: a linear layer's weight gradient comes out as {@code dYᵀ·X}, already
 * {@code [out, in]}.
 */
final class MatmulOp {
    private MatmulOp() {
    }

    /**
     * Data read as a stack of row-major matrices (possibly a slice of a larger stack, such as the
     * filled part of a KV cache, or a range of columns), or as their transposes when {@code transposed}.
     */
    private record Operand(Tensor data, boolean transposed) {
        static Operand of(Tensor t) {
            if (isStackOfMatrices(t)) {
                return new Operand(t, false);
            }
            Tensor swapped = t.transpose(-2, -1);
            if (isStackOfMatrices(swapped)) {
                return new Operand(swapped, true);
            }
            return new Operand(t.contiguous(), false);
        }

        Operand flipped() {
            return new Operand(data, !transposed);
        }

        int rows() {
            return data.dim(transposed ? -1 : -2);
        }

        int cols() {
            return data.dim(transposed ? -2 : -1);
        }
    }

    /**
     * Whether the backend's matmul reads {@code t} as it is: contiguous, or a stack of row-major
     * matrices one uniform stride apart (such as the filled part of a KV cache).
     */
    static boolean isStackOfMatrices(Tensor t) {
        return t.isContiguous() || Shapes.matrixBatchStride(t.shape(), t.strides()) >= 0;
    }

    static Tensor matmul(Tensor a, Tensor b) {
        if (a.rank() < 2 || b.rank() < 2) {
            throw new IllegalArgumentException("matmul needs matrices, got " + Shapes.str(a.shape()) + " and " + Shapes.str(b.shape()));
        }
        WeightOperand.check("matmul", a, b);
        Operand oa;
        Operand ob;
        Tensor out;
        try (var scope = Grad.off()) {
            oa = Operand.of(a);
            ob = Operand.of(b);
            out = product(oa, ob);
        }
        // Each gradient needs the other operand's values only: keep an operand's data alive for the
        // backward only when the other one requires a gradient (a frozen weight's input is not kept).
        boolean needA = a.requiresGrad();
        boolean needB = b.requiresGrad();
        Operand keptA = needB ? oa : null;
        Operand keptB = needA ? ob : null;
        boolean aTransposed = oa.transposed();
        boolean bTransposed = ob.transposed();
        int bRank = b.rank();
        return Tape.record("matmul", out, g -> {
            Operand og = new Operand(g.contiguous(), false);
            Tensor ga = needA ? gradA(aTransposed, keptB, og) : null;
            Tensor gb = needB ? gradB(keptA, bTransposed, bRank, og) : null;
            return new Tensor[] {ga, gb};
        }, a, b);
    }

    /** dA = G·Bᵀ, computed as (B·Gᵀ)ᵀ when A's data is transposed. */
    private static Tensor gradA(boolean aTransposed, Operand b, Operand g) {
        if (aTransposed && b.data().rank() == g.data().rank()) {
            return product(b, g.flipped()).transpose(-2, -1);
        }
        return product(g, b.flipped());
    }

    /**
     * dB = Aᵀ·G, summed over batches when B is shared. When B's data is transposed (a weight read as
     * Wᵀ) it is computed as (Gᵀ·A)ᵀ, so that the gradient comes out in the weight's own layout,
     * unless A has fewer columns than G: the left operand here is read transposed, which packing
     * gathers element by element, so it should be the smaller one (a LoRA B's rank-r input rather
     * than the layer's output gradient).
     */
    private static Tensor gradB(Operand a, boolean bTransposed, int bRank, Operand g) {
        if (bRank == 2 && a.data().rank() > 2) {
            Tensor flatA = (a.transposed() ? a.data().transpose(-2, -1).contiguous() : a.data()).reshape(-1, a.cols());
            a = new Operand(flatA, false);
            g = new Operand(g.data().reshape(-1, g.cols()), false);
        }
        if (bTransposed && g.cols() <= a.cols()) {
            return product(g.flipped(), a).transpose(-2, -1);
        }
        return product(a.flipped(), g);
    }

    /** The unrecorded product of two operands: {@code [batch…, m, n]}. */
    private static Tensor product(Operand a, Operand b) {
        int[] aShape = a.data().shape();
        int[] bShape = b.data().shape();
        int m = a.rows();
        int k = a.cols();
        int n = b.cols();
        if (b.rows() != k) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: " + describe(a) + " · " + describe(b));
        }
        int[] batch = Arrays.copyOf(aShape, aShape.length - 2);
        if (bShape.length > 2 && !Arrays.equals(batch, Arrays.copyOf(bShape, bShape.length - 2))) {
            throw new IllegalArgumentException("matmul: batch dimensions differ: " + describe(a) + " · " + describe(b));
        }
        int[] outShape = Arrays.copyOf(batch, batch.length + 2);
        outShape[batch.length] = m;
        outShape[batch.length + 1] = n;
        Tensor out = Tensor.forOverwrite(a.data().backend(), a.data().dtype().arithmetic(), outShape);
        a.data().backend().matmul(a.data(), a.transposed(), b.data(), b.transposed(), out, false);
        return out;
    }

    private static String describe(Operand o) {
        return Shapes.str(o.data().shape()) + (o.transposed() ? "ᵀ" : "");
    }
}
