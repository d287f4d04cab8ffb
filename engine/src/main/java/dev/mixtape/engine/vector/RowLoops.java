package dev.mixtape.engine.vector;

import dev.mixtape.engine.Grad;
import dev.mixtape.engine.IndependentRows;

/**
 * The Vector backend's {@link IndependentRows}: the loop's iterations in a few chunks per thread,
 * claimed by the caller and the team's workers as they go ({@link Parallel#forChunks}), so that a
 * worker slow to join leaves its chunks to the caller. A chunk run by a worker runs with the caller's
 * {@link Grad} state (and, as every task of the team, inside its
 * {@link dev.mixtape.engine.BatchInvariantProducts} scope).
 */
final class RowLoops implements IndependentRows {
    /** Chunks per thread: more than one, so that a thread that shares its core with other work hands part of its share over. */
    private static final int CHUNKS_PER_THREAD = 2;

    private final Parallel parallel;

    RowLoops(Parallel parallel) {
        this.parallel = parallel;
    }

    @Override
    public void forEachRange(int n, RangeBody body) {
        int threads = parallel.threadsHere();
        if (threads == 1) {
            body.run(0, n);
            return;
        }
        boolean recording = Grad.isEnabled();
        Thread caller = Thread.currentThread();
        parallel.forChunks(n, Math.ceilDiv(n, CHUNKS_PER_THREAD * threads), (from, to) -> {
            if (Thread.currentThread() == caller) {
                body.run(from, to);
                return;
            }
            try (Grad ignored = recording ? Grad.on() : Grad.off()) {
                body.run(from, to);
            }
        });
    }
}
