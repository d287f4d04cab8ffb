package dev.mixtape.engine;

/**
 * A {@link Backend} capability: a loop whose iterations are independent of each other (the rows of a
 * batched decoding step: one sequence's RoPE, KV cache and attention, one adapter's update to its
 * rows), which the backend shares out between its threads as it shares out a kernel, so that a
 * step of many rows keeps every core busy outside its weight products too. The iterations must
 * write disjoint outputs; which thread runs one changes none of its floats.
 *
 * <p>An iteration run on one of the backend's threads sees the caller's {@link Grad} state and
 * {@link BatchInvariantProducts} scope, so that the products it computes are the ones the caller
 * would compute. Without the capability ({@link #forEach}) the loop runs on the calling thread.
 */
public interface IndependentRows {
    /** The body of a loop: handles iterations {@code from} (inclusive) to {@code to} (exclusive). */
    @FunctionalInterface
    interface RangeBody {
        void run(int from, int to);
    }

    /** Runs {@code body} over {@code [0, n)}, in ranges that the backend's threads claim; returns when all are done. */
    void forEachRange(int n, RangeBody body);

    /** {@code body} over {@code [0, n)} on {@code backend}'s threads where it has the capability, else on this thread. */
    static void forEach(Backend backend, int n, RangeBody body) {
        if (n <= 1) {
            body.run(0, n);
            return;
        }
        backend.capability(IndependentRows.class).ifPresentOrElse(rows -> rows.forEachRange(n, body), () -> body.run(0, n));
    }
}
