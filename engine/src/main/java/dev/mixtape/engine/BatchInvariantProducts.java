package dev.mixtape.engine;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * A scope in which a matrix product gives each row of its left operand bit for bit what that row
 * gets in a product of its own, however many rows share it: what a server needs so that a request's
 * output does not depend on which requests were batched with it.
 *
 * <p>The vector backend computes products of a few rows (decoding's shapes) with a kernel that sums
 * every output in one fixed order, row by row, and larger ones with a blocked GEMM whose summation
 * order follows its blocking. Inside {@link #run}, products of up to {@code rows} rows (A not
 * transposed) take the first kernel too, which reads each weight once for all rows and still does
 * each row's arithmetic as a one-row product does. It is slower than the GEMM for long prompts and
 * training batches, hence a scope and not the rule. The scope holds on the calling thread for the
 * passes {@link #run} runs (a scoped value); other backends compute every product row by row or
 * say otherwise.
 *
 * <p>With {@link FrozenWeights} (a promise that the weights do not change), the vector backend
 * computes products of four rows or more from copies of the f32 weights laid out for many rows
 * (output columns side by side), which it makes on first use and keeps there: several times the
 * multiply-adds per second, and still each output summed in exactly the one-row product's order.
 */
public final class BatchInvariantProducts {
    private static final ScopedValue<Integer> ROWS = ScopedValue.newInstance();
    private static final ScopedValue<FrozenWeights> FROZEN = ScopedValue.newInstance();

    private BatchInvariantProducts() {
    }

    /** Runs {@code pass} with products of up to {@code rows} rows computed row by row, on this thread. */
    public static <T> T run(int rows, Supplier<T> pass) {
        if (rows < 1) {
            throw new IllegalArgumentException("rows must be >= 1, got " + rows);
        }
        return ScopedValue.where(ROWS, rows).call(pass::get);
    }

    /**
     * {@link #run(int, Supplier)} with the products' weights cached in {@code weights}, whose holder
     * promises they do not change while it is used.
     */
    public static <T> T run(int rows, FrozenWeights weights, Supplier<T> pass) {
        Objects.requireNonNull(weights, "weights");
        return ScopedValue.where(FROZEN, weights).call(() -> run(rows, pass));
    }

    /** The weights cache in force on this thread; null outside {@link #run(int, FrozenWeights, Supplier)}. */
    public static FrozenWeights frozenWeights() {
        return FROZEN.isBound() ? FROZEN.get() : null;
    }

    /** The most rows a product in force on this thread computes row by row; 0 outside {@link #run}. */
    public static int rows() {
        return ROWS.isBound() ? ROWS.get() : 0;
    }
}
