package dev.mixtape.engine;

/**
 * A {@link Backend} capability: several products of one input with different weights,
 * {@code x·weights[i]ᵀ} for contiguous {@code x [..., k]} and weights {@code [nᵢ, k]}, each
 * {@code [..., nᵢ]}, computed as one job (a decoding step's query, key and value projections,
 * or its gate and up projections): one hand-off to the backend's threads serves them all, and products
 * too small to be split alone are shared between the threads as part of the whole. Every output equals
 * what {@link Backend#matmul} gives for its product alone, bit for bit. Without it, the op
 * ({@link F#linears}) runs the products one after the other.
 */
public interface SharedInputProducts {
    /** The products in the order of the weights, or null for operands this kernel does not take. */
    Tensor[] productsSharingInput(Tensor x, Tensor[] weights);
}
