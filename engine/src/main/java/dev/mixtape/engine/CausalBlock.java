package dev.mixtape.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * A block of query rows of causal attention and the keys they see: rows {@code [firstRow, endRow)}
 * of the {@code [.., group·T, ..]} stack of {@link AttentionOp}, which see keys {@code [0, keys)}.
 *
 * <p>Row {@code i} of a sequence sees keys up to its own position, so over a whole sequence half of
 * the score matrix is masked. Attention runs its products block by block, each over the keys its last
 * row sees: with blocks of {@link #ROWS} rows, 256 queries do 5/8 of the full products' work. A
 * sequence of at most one block's rows (decoding, short prompts) is one block holding every
 * group member's rows, so that a GQA group's queries still read each key once.
 *
 * @param firstRow first row in the stack of the group's queries
 * @param endRow   one past the last row
 * @param keys     keys {@code 0..keys-1} are the ones the block's rows may see
 */
record CausalBlock(int firstRow, int endRow, int keys) {
    /** Query rows per block: small enough to skip most of the masked half, large enough for efficient products. */
    static final int ROWS = 64;

    /**
     * The blocks of {@code blockRows} rows for {@code group} query heads of {@code seq} rows each, the
     * first at {@code positionOffset}.
     */
    static List<CausalBlock> of(int group, int seq, int positionOffset, int blockRows) {
        if (seq <= blockRows) {
            return List.of(new CausalBlock(0, group * seq, positionOffset + seq));
        }
        List<CausalBlock> blocks = new ArrayList<>();
        for (int member = 0; member < group; member++) {
            for (int first = 0; first < seq; first += blockRows) {
                int end = Math.min(seq, first + blockRows);
                blocks.add(new CausalBlock(member * seq + first, member * seq + end, positionOffset + end));
            }
        }
        return blocks;
    }

    /** The block's rows of a {@code [.., rows, x]} stack. */
    Tensor rowsOf(Tensor stack) {
        return stack.slice(2, firstRow, endRow);
    }

    /** The keys the block sees, of a {@code [.., keys, d]} stack of keys or values. */
    Tensor keysOf(Tensor stack) {
        return stack.slice(2, 0, keys);
    }

    /** The block's rows and keys of a {@code [.., rows, keys]} stack of scores. */
    Tensor scoresOf(Tensor stack) {
        return rowsOf(stack).slice(3, 0, keys);
    }
}
