package dev.mixtape.engine;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The functional ops a Llama and its adapters need beyond {@link Tensor}'s arithmetic, in the
 * spirit of {@code torch.nn.functional}. Each records its backward on the tape.
 */
public final class F {
    private F() {
    }

    /** {@code x·Wᵀ (+ bias)} for a weight {@code [out, in]}, without materialising the transpose. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        Tensor y = x.matmul(weight.transpose(0, 1));
        return bias == null ? y : y.add(bias);
    }

    /**
     * {@code x·Wᵢᵀ} for each weight {@code [outᵢ, in]}, the same values as {@link #linear} without a
     * bias gives for each: with gradients off, one job on backends with {@link SharedInputProducts}
     * (a decoding step's query, key and value projections hand their work to the threads once).
     */
    public static Tensor[] linears(Tensor x, Tensor... weights) {
        return LinearsOp.apply(x, weights);
    }

    /**
     * {@code x·Wᵀ + scale·(updateInput·downᵀ)·upᵀ} for {@code x, updateInput [..., in]}, a weight
     * {@code [out, in]}, {@code down [r, in]} and {@code up [out, r]}: a linear layer with a low-rank
     * term beside it (what a LoRA adapter adds), fused so that the term is added as the products are
     * written. {@code updateInput} is x itself, or a variant of it such as x after dropout.
     */
    public static Tensor lowRankLinear(Tensor x, Tensor weight, Tensor updateInput, Tensor down, Tensor up, double scale) {
        return LowRankLinearOp.apply(x, weight, updateInput, down, up, scale);
    }

    /** SiLU, {@code x·σ(x)}. */
    public static Tensor silu(Tensor x) {
        return Elementwise.unary(UnaryOp.SILU, x);
    }

    /** SwiGLU, {@code silu(gate) ⊙ up}, fused. */
    public static Tensor swiglu(Tensor gate, Tensor up) {
        return SwigluOp.apply(gate, up);
    }

    /** RMSNorm over the last dimension, fused. */
    public static Tensor rmsNorm(Tensor x, Tensor weight, double eps) {
        return RmsNormOp.apply(x, weight, eps);
    }

    /** Rotary position embedding of {@code x [..., T, headDim]} at positions {@code offset..offset+T-1}. */
    public static Tensor rope(Tensor x, RopeTable table, int positionOffset) {
        return RopeOp.apply(x, table, positionOffset);
    }

    /** Softmax over the last dimension. */
    public static Tensor softmax(Tensor x) {
        return SoftmaxOp.apply(x, 0, 0);
    }

    /**
     * Causal attention of {@code q [B, nH, T, d]} over {@code k, v [B, nKV, S, d]} (GQA when
     * {@code nKV < nH}); query t sits at position {@code positionOffset + t} and sees keys up to it.
     */
    public static Tensor causalAttention(Tensor q, Tensor k, Tensor v, int positionOffset) {
        return AttentionOp.apply(q, k, v, positionOffset);
    }

    /** Mean cross-entropy of {@code logits [..., V]} against one target per row; rows with {@code ignoreIndex} do not count. */
    public static Tensor crossEntropy(Tensor logits, int[] targets, int ignoreIndex) {
        return CrossEntropyOp.apply(logits, targets, ignoreIndex);
    }

    /**
     * {@code crossEntropy(linear(x, weight, null), targets, ignoreIndex)} for {@code x [..., D]} and a
     * weight {@code [V, D]}, fused so that the {@code [rows, V]} logits are never held whole. It
     * computes the gradients of x and the weight during the forward pass (when they require one), so
     * use it as the last op before {@code backward()}.
     */
    public static Tensor linearCrossEntropy(Tensor x, Tensor weight, int[] targets, int ignoreIndex) {
        return LinearCrossEntropyOp.apply(x, weight, targets, ignoreIndex);
    }

    /** Rows of {@code table [V, D]} for each id: {@code [ids.length, D]}. */
    public static Tensor embedding(Tensor table, int[] ids) {
        return EmbeddingOp.apply(table, ids);
    }

    /** Inverted dropout: zeroes each element with probability p and scales the rest by {@code 1/(1−p)}. */
    public static Tensor dropout(Tensor x, double p, Rng rng) {
        if (p < 0 || p >= 1) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        if (p == 0) {
            return x;
        }
        float[] keep = rng.dropoutMask(x.numel(), p);
        double[] mask = new double[keep.length];
        for (int i = 0; i < keep.length; i++) {
            mask[i] = keep[i];
        }
        return x.mul(Tensor.of(x.backend(), x.dtype(), mask, x.shape()));
    }

    /**
     * {@code block(x)}, recorded as one op that keeps only {@code x}: activation checkpointing. The
     * block runs without recording, and runs again during the backward pass to back-propagate through
     * it, giving the same gradients as {@code block(x)} recorded op by op, bit for bit, for one more
     * forward pass of it; what a training step keeps of the block is its input. The block must be a
     * function of {@code x} and of parameters (leaves): a recorded tensor from outside it is refused in
     * the backward pass, and the random numbers it draws are drawn again the same. With gradients
     * off, it is {@code block(x)}. See {@link CheckpointOp}.
     */
    public static Tensor checkpoint(UnaryOperator<Tensor> block, Tensor x) {
        return CheckpointOp.apply(block, x);
    }

    /** Concatenation along {@code axis}. */
    public static Tensor concat(List<Tensor> parts, int axis) {
        return ShapeOps.concat(parts, axis);
    }

    /** Splits along {@code axis} into parts of the given sizes (views). */
    public static List<Tensor> split(Tensor x, int axis, int... sizes) {
        return ShapeOps.split(x, axis, sizes);
    }
}
