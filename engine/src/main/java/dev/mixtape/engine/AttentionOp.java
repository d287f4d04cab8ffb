package dev.mixtape.engine;

import java.util.List;

/**
 * Causal scaled dot-product attention with grouped-query attention (GQA),
 * {@code softmax(mask(q·kᵀ/√d))·v}, as one op with its own backward:
 * <pre>
 *   forward:  P = softmax(mask(q·kᵀ/√d)),  O = P·v
 *   backward: dP = dO·vᵀ,  dS = P ⊙ (dP − rowsum(dP ⊙ P)),  dq = dS·k/√d,  dk = dSᵀ·q/√d,  dv = Pᵀ·dO
 * </pre>
 * Written as one op rather than composed from recorded matmul and softmax ops so that the two
 * largest tensors of a training step's attention, {@code [B, nKV, group·T, S]} each, are computed in
 * place: the softmax overwrites the scores and the softmax's backward overwrites dP.
 *
 * <p>GQA without copying keys: query heads {@code h} with {@code h / group == kv} share kv head
 * {@code kv}, so {@code q [B, nH, T, d]} is viewed as {@code [B, nKV, group·T, d]} (the group's
 * queries stacked along rows), multiplied against {@code k [B, nKV, S, d]}, and the causal mask
 * finds each row's position as {@code row % T}.
 *
 * <p>Every product runs block by block ({@link CausalBlock}) over the keys the block's queries see,
 * writing into and reading from ranges of columns of the score tensors; the masked scores beyond a
 * block's keys are never computed. The softmax writes the probabilities' masked part as zeros, so
 * they are allocated to overwrite; the scores' gradient is allocated as zeros, as its softmax
 * gradient reads whole rows.
 */
final class AttentionOp {
    private AttentionOp() {
    }

    static Tensor apply(Tensor q, Tensor k, Tensor v, int positionOffset) {
        return apply(q, k, v, positionOffset, CausalBlock.ROWS);
    }

    /** As {@link #apply(Tensor, Tensor, Tensor, int)}, with causal blocks of {@code blockRows} query rows (tests use small ones). */
    static Tensor apply(Tensor q, Tensor k, Tensor v, int positionOffset, int blockRows) {
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
        int group = heads / kvHeads;
        int rows = group * seq;
        double scale = 1.0 / Math.sqrt(headDim);
        Backend backend = q.backend();
        DType dtype = q.dtype();
        List<CausalBlock> blocks = CausalBlock.of(group, seq, positionOffset, blockRows);
        Tensor scaledQ;
        Tensor keys;
        Tensor values;
        Tensor probabilities;
        Tensor out;
        try (var scope = Grad.off()) {
            scaledQ = scaledCopy(q, scale).reshape(batch, kvHeads, rows, headDim);
            keys = stackOfMatrices(k);
            values = stackOfMatrices(v);
            probabilities = Tensor.forOverwrite(backend, dtype, batch, kvHeads, rows, keyCount);
            for (CausalBlock block : blocks) {
                backend.matmul(block.rowsOf(scaledQ), false, block.keysOf(keys), true, block.scoresOf(probabilities), false);
            }
            backend.softmax(probabilities, seq, positionOffset, probabilities);
            out = Tensor.forOverwrite(backend, dtype, batch, kvHeads, rows, headDim);
            for (CausalBlock block : blocks) {
                backend.matmul(block.scoresOf(probabilities), false, block.keysOf(values), false, block.rowsOf(out), false);
            }
        }
        int[] qShape = q.shape();
        boolean needQ = q.requiresGrad();
        boolean needK = k.requiresGrad();
        boolean needV = v.requiresGrad();
        return Tape.record("causalAttention", out.reshape(batch, heads, seq, headDim), g -> {
            Tensor dOut = g.contiguous().reshape(batch, kvHeads, rows, headDim);
            Tensor dV = needV ? transposedProduct(backend, dtype, blocks, dOut, probabilities) : null;
            Tensor dScores = Tensor.zeros(backend, dtype, batch, kvHeads, rows, keyCount);
            for (CausalBlock block : blocks) {
                backend.matmul(block.rowsOf(dOut), false, block.keysOf(values), true, block.scoresOf(dScores), false);
            }
            backend.softmaxBackward(probabilities, dScores, dScores);
            Tensor dQ = null;
            if (needQ) {
                dQ = Tensor.forOverwrite(backend, dtype, batch, kvHeads, rows, headDim);
                for (CausalBlock block : blocks) {
                    backend.matmul(block.scoresOf(dScores), false, block.keysOf(keys), false, block.rowsOf(dQ), false);
                }
                backend.scalar(ScalarOp.MUL, dQ, scale, dQ);
                dQ = dQ.reshape(qShape);
            }
            Tensor dK = needK ? transposedProduct(backend, dtype, blocks, scaledQ, dScores) : null;
            return new Tensor[] {dQ, dK, dV};
        }, q, k, v);
    }

    /**
     * {@code bᵀ·a} for stacks {@code a [.., rows, d]} and {@code b [.., rows, keys]} (scores), summed
     * block by block over the keys each block sees, and returned as the transposed view of
     * {@code aᵀ·b [.., d, keys]}: the matmul gathers its transposed left operand element by element,
     * and {@code a} (d = head size columns) is the smaller of the two.
     */
    private static Tensor transposedProduct(Backend backend, DType dtype, List<CausalBlock> blocks, Tensor a, Tensor b) {
        int[] shape = b.shape().clone();
        shape[shape.length - 2] = a.dim(-1);
        Tensor product = Tensor.zeros(backend, dtype, shape);
        for (CausalBlock block : blocks) {
            backend.matmul(block.rowsOf(a), true, block.scoresOf(b), false, product.slice(3, 0, block.keys()), true);
        }
        return product.transpose(-2, -1);
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
}
