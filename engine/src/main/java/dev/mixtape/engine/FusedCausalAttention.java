package dev.mixtape.engine;

/**
 * A {@link Backend} capability: both halves of {@link F#causalAttention} in one pass over the keys,
 * with the operands of {@link AttentionOp}'s blockwise composition of {@link Backend#matmul} and
 * {@link Backend#softmax}, which runs where a backend lacks this or declines a call.
 *
 * <p>For each matrix t of the stacks: {@code P_t = softmax(mask(q_t·k_tᵀ))} into {@code probabilities}
 * and {@code O_t = P_t·v_t} into {@code out}. {@code q [B, KV, rows, d]} holds, for each kv head, the
 * (already scaled) queries of the {@code rows / seq} query heads that share it, {@code seq} rows each:
 * row r sits at position {@code r % seq + positionOffset} and sees keys {@code [0, position]};
 * probabilities beyond are written as zeros. {@code k, v [B, KV, keys, d]} are stacks of row-major
 * matrices; {@code probabilities [B, KV, rows, keys]} and {@code out [B, KV, rows, d]} are written whole.
 * The probabilities may be null in both halves: the forward then keeps none, and the backward
 * computes them again from q and k, to the same values.
 */
public interface FusedCausalAttention {
    /** The forward half; returns false, writing nothing, for operands this kernel does not take. */
    boolean causalAttention(Tensor q, Tensor k, Tensor v, int seq, int positionOffset, Tensor probabilities, Tensor out);

    /**
     * The backward half, from the forward's {@code probabilities} P and the output's gradient
     * {@code dOut [B, KV, rows, d]}: with {@code dP = dOut·vᵀ} and {@code dS = P ⊙ (dP − rowsum(dP ⊙ P))},
     * writes {@code dQ = dS·k}, {@code dK = dSᵀ·q} and {@code dV = Pᵀ·dOut} (shaped as q, k and v), each
     * whole; a null gradient is not computed. Returns false, writing nothing, for operands this kernel does not take.
     */
    boolean causalAttentionBackward(Tensor q, Tensor k, Tensor v, Tensor probabilities, Tensor dOut, int seq,
                                    int positionOffset, Tensor dQ, Tensor dK, Tensor dV);
}
