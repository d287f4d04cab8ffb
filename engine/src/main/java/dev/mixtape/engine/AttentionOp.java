package dev.mixtape.engine;

/**
 * Causal scaled dot-product attention with grouped-query attention (GQA), composed from recorded
 * ops so that its backward comes for free: {@code softmax(mask(q·kᵀ/√d))·v}.
 *
 * <p>GQA without copying keys: query heads {@code h} with {@code h / group == kv} share kv head
 * {@code kv}, so {@code q [B, nH, T, d]} is viewed as {@code [B, nKV, group·T, d]} (the group's
 * queries stacked along rows), multiplied against {@code k [B, nKV, S, d]}, and the causal mask
 * finds each row's position as {@code row % T}.
 */
final class AttentionOp {
    private AttentionOp() {
    }

    static Tensor apply(Tensor q, Tensor k, Tensor v, int positionOffset) {
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4) {
            throw new IllegalArgumentException("causalAttention: q, k, v must be [batch, heads, seq, headDim], got "
                    + Shapes.str(q.shape()) + ", " + Shapes.str(k.shape()) + ", " + Shapes.str(v.shape()));
        }
        int batch = q.dim(0);
        int heads = q.dim(1);
        int seq = q.dim(2);
        int headDim = q.dim(3);
        int kvHeads = k.dim(1);
        int keys = k.dim(2);
        if (heads % kvHeads != 0 || k.dim(0) != batch || k.dim(3) != headDim || !java.util.Arrays.equals(k.shape(), v.shape())) {
            throw new IllegalArgumentException("causalAttention: incompatible q " + Shapes.str(q.shape())
                    + ", k " + Shapes.str(k.shape()) + ", v " + Shapes.str(v.shape()));
        }
        if (positionOffset + seq > keys) {
            throw new IllegalArgumentException("causalAttention: " + seq + " queries from position " + positionOffset
                    + " need at least " + (positionOffset + seq) + " keys, got " + keys);
        }
        int group = heads / kvHeads;
        Tensor grouped = q.reshape(batch, kvHeads, group * seq, headDim).mul(1.0 / Math.sqrt(headDim));
        Tensor scores = grouped.matmul(k.transpose(2, 3));
        Tensor weights = SoftmaxOp.apply(scores, seq, positionOffset);
        return weights.matmul(v).reshape(batch, heads, seq, headDim);
    }
}
