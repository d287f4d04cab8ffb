package dev.mixtape.engine;

/**
 * Causal scaled dot-product attention with grouped-query attention (GQA),
 * {@code softmax(mask(q·kᵀ/√d))·v}, as one op with its own backward:
 * <pre>
 *   forward:  P = softmax(mask(q·kᵀ/√d)),  O = P·v
 *   backward: dP = dO·vᵀ,  dS = P ⊙ (dP − rowsum(dP ⊙ P)),  dq = dS·k/√d,  dk = dSᵀ·q/√d,  dv = Pᵀ·dO
 * </pre>
 * Written as one op rather than composed from recorded matmul and softmax ops so that the backend
 * computes it in one piece where it has the {@link FusedCausalAttention} capability: the Vector
 * backend runs each head start to end in cache; elsewhere {@link BlockwiseAttention} composes it
 * block by block of query rows.
 * For its backward the op keeps its (scaled) q, k and v and, where no fused kernel took the call,
 * the probabilities {@code [B, nKV, group·T, S]}; a fused kernel computes them again instead, which
 * saves that matrix per layer of a training step.
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
        int keyCount = k.dim(2);
        if (heads % kvHeads != 0 || k.dim(0) != batch || k.dim(3) != headDim || !java.util.Arrays.equals(k.shape(), v.shape())) {
            throw new IllegalArgumentException("causalAttention: incompatible q " + Shapes.str(q.shape())
                    + ", k " + Shapes.str(k.shape()) + ", v " + Shapes.str(v.shape()));
        }
        if (positionOffset + seq > keyCount) {
            throw new IllegalArgumentException("causalAttention: " + seq + " queries from position " + positionOffset
                    + " need at least " + (positionOffset + seq) + " keys, got " + keyCount);
        }
        int rows = heads / kvHeads * seq;
        double scale = 1.0 / Math.sqrt(headDim);
        Backend backend = q.backend();
        DType dtype = q.dtype();
        Tensor scaledQ;
        Tensor keys;
        Tensor values;
        Tensor out;
        try (var scope = Grad.off()) {
            scaledQ = scaledCopy(q, scale).reshape(batch, kvHeads, rows, headDim);
            keys = stackOfMatrices(k);
            values = stackOfMatrices(v);
            out = Tensor.forOverwrite(backend, dtype, batch, kvHeads, rows, headDim);
        }
        Tensor probabilities = forward(backend, scaledQ, keys, values, seq, positionOffset, out);
        int[] qShape = q.shape();
        boolean needQ = q.requiresGrad();
        boolean needK = k.requiresGrad();
        boolean needV = v.requiresGrad();
        return Tape.record("causalAttention", out.reshape(batch, heads, seq, headDim), g -> {
            Tensor dOut = g.contiguous().reshape(batch, kvHeads, rows, headDim);
            Tensor dQ = needQ ? Tensor.forOverwrite(backend, dtype, batch, kvHeads, rows, headDim) : null;
            Tensor dK = needK ? Tensor.forOverwrite(backend, dtype, k.shape()) : null;
            Tensor dV = needV ? Tensor.forOverwrite(backend, dtype, v.shape()) : null;
            backward(backend, scaledQ, keys, values, probabilities, dOut, seq, positionOffset, dQ, dK, dV);
            if (dQ != null) {
                backend.scalar(ScalarOp.MUL, dQ, scale, dQ);
                dQ = dQ.reshape(qShape);
            }
            return new Tensor[] {dQ, dK, dV};
        }, q, k, v);
    }

    /**
     * {@code scale·q} as a new contiguous tensor: a strided q (heads split off a [B, T, H·d] projection)
     * is copied once and scaled in place, rather than copied and then copied again by the scaling.
     */
    private static Tensor scaledCopy(Tensor q, double scale) {
        if (q.isContiguous()) {
            return q.mul(scale);
        }
        Tensor copy = q.contiguous();
        q.backend().scalar(ScalarOp.MUL, copy, scale, copy);
        return copy;
    }

    /** {@code t} if the backend's matmul reads it as it is ({@link MatmulOp#isStackOfMatrices}), else a dense copy. */
    private static Tensor stackOfMatrices(Tensor t) {
        return MatmulOp.isStackOfMatrices(t) ? t : t.contiguous();
    }

    /**
     * The forward half ({@link FusedCausalAttention#causalAttention} for its operands) into {@code out}:
     * the backend's fused kernel where it has one that takes them, which keeps no probabilities
     * (returns null), else {@link Backend#matmul} and {@link Backend#softmax} block by block of query
     * rows (returns the probabilities, for the backward).
     */
    static Tensor forward(Backend backend, Tensor q, Tensor k, Tensor v, int seq, int positionOffset, Tensor out) {
        boolean fused = backend.capability(FusedCausalAttention.class)
                .map(kernel -> kernel.causalAttention(q, k, v, seq, positionOffset, null, out)).orElse(false);
        if (fused) {
            return null;
        }
        Tensor probabilities = Tensor.forOverwrite(q.backend(), q.dtype(), q.dim(0), q.dim(1), q.dim(2), k.dim(2));
        BlockwiseAttention.forward(q, k, v, seq, positionOffset, probabilities, out, CausalBlock.ROWS);
        return probabilities;
    }

    /**
     * The backward half, fused where the backend can, as {@link #forward}; null {@code probabilities}
     * (the fused forward's) are computed again, by the fused kernel or, should it decline, blockwise.
     */
    static void backward(Backend backend, Tensor q, Tensor k, Tensor v, Tensor probabilities, Tensor dOut, int seq,
                         int positionOffset, Tensor dQ, Tensor dK, Tensor dV) {
        boolean fused = backend.capability(FusedCausalAttention.class)
                .map(kernel -> kernel.causalAttentionBackward(q, k, v, probabilities, dOut, seq, positionOffset, dQ, dK, dV))
                .orElse(false);
        if (fused) {
            return;
        }
        Tensor p = probabilities;
        if (p == null) {
            p = Tensor.forOverwrite(q.backend(), q.dtype(), q.dim(0), q.dim(1), q.dim(2), k.dim(2));
            BlockwiseAttention.forward(q, k, v, seq, positionOffset, p, Tensor.forOverwrite(q.backend(), q.dtype(), q.shape()),
                    CausalBlock.ROWS);
        }
        BlockwiseAttention.backward(q, k, v, p, dOut, seq, positionOffset, dQ, dK, dV, CausalBlock.ROWS);
    }
}
