package dev.mixtape.engine;

import java.util.List;

/**
 * Causal attention composed from a backend's {@link Backend#matmul}, {@link Backend#softmax} and
 * {@link Backend#softmaxBackward}: what {@link AttentionOp} runs where the backend lacks (or
 * declines) {@link FusedCausalAttention}, for the operands described there.
 *
 * <p>Every product runs block by block ({@link CausalBlock}) over the keys the block's queries see,
 * writing into and reading from ranges of columns of the score tensors, so the masked scores beyond
 * a block's keys are never computed. The softmax writes the masked part of the probabilities as
 * zeros; the scores' gradient is allocated as zeros, as the softmax's backward reads whole rows.
 */
final class BlockwiseAttention {
    private BlockwiseAttention() {
    }

    /** The forward half, in causal blocks of {@code blockRows} query rows. */
    static void forward(Tensor q, Tensor k, Tensor v, int seq, int positionOffset, Tensor probabilities, Tensor out,
                        int blockRows) {
        Backend backend = q.backend();
        List<CausalBlock> blocks = CausalBlock.of(q.dim(2) / seq, seq, positionOffset, blockRows);
        for (CausalBlock block : blocks) {
            backend.matmul(block.rowsOf(q), false, block.keysOf(k), true, block.scoresOf(probabilities), false);
        }
        backend.softmax(probabilities, seq, positionOffset, probabilities);
        for (CausalBlock block : blocks) {
            backend.matmul(block.scoresOf(probabilities), false, block.keysOf(v), false, block.rowsOf(out), false);
        }
    }

    /** The backward half, in causal blocks of {@code blockRows} query rows. */
    static void backward(Tensor q, Tensor k, Tensor v, Tensor probabilities, Tensor dOut, int seq, int positionOffset,
                         Tensor dQ, Tensor dK, Tensor dV, int blockRows) {
        Backend backend = q.backend();
        List<CausalBlock> blocks = CausalBlock.of(q.dim(2) / seq, seq, positionOffset, blockRows);
        if (dV != null) {
            transposedProduct(backend, blocks, dOut, probabilities, dV);
        }
        if (dQ == null && dK == null) {
            return;
        }
        Tensor dScores = Tensor.zeros(backend, probabilities.dtype(), probabilities.shape());
        for (CausalBlock block : blocks) {
            backend.matmul(block.rowsOf(dOut), false, block.keysOf(v), true, block.scoresOf(dScores), false);
        }
        backend.softmaxBackward(probabilities, dScores, dScores);
        if (dQ != null) {
            for (CausalBlock block : blocks) {
                backend.matmul(block.scoresOf(dScores), false, block.keysOf(k), false, block.rowsOf(dQ), false);
            }
        }
        if (dK != null) {
            transposedProduct(backend, blocks, q, dScores, dK);
        }
    }

    /**
     * {@code out = bᵀ·a} for stacks {@code a [.., rows, d]} and {@code b [.., rows, keys]} (scores),
     * summed block by block over the keys each block sees. It is computed as {@code aᵀ·b [.., d, keys]}
     * and copied transposed into {@code out [.., keys, d]}: the matmul gathers its transposed left
     * operand element by element, and {@code a} (d = head size columns) is the smaller of the two.
     */
    private static void transposedProduct(Backend backend, List<CausalBlock> blocks, Tensor a, Tensor b, Tensor out) {
        int[] shape = b.shape().clone();
        shape[shape.length - 2] = a.dim(-1);
        Tensor product = Tensor.zeros(backend, b.dtype(), shape);
        for (CausalBlock block : blocks) {
            backend.matmul(block.rowsOf(a), true, block.scoresOf(b), false, product.slice(3, 0, block.keys()), true);
        }
        backend.copy(product.transpose(-2, -1), out);
    }
}
