package dev.mixtape.engine;

/**
 * A {@link Backend} capability: a matrix product with a rank-r product added to each block of its
 * result while that block is in cache, {@code out = a·op(b) + low·op(lowB)}, for contiguous 2-D
 * operands {@code a [m, k]}, {@code b [k, n]} ({@code [n, k]} if {@code transB}), {@code low [m, r]},
 * {@code lowB [r, n]} ({@code [n, r]} if {@code transLowB}), {@code out [m, n]}. Without it, the op
 * ({@link F#lowRankLinear}) runs the two products one after the other, with the same result.
 */
public interface MatmulLowRankEpilogue {
    /** Writes {@code out} and returns true, or returns false, writing nothing, for operands this kernel does not take. */
    boolean matmulPlusLowRank(Tensor a, Tensor b, boolean transB, Tensor low, Tensor lowB, boolean transLowB, Tensor out);
}
