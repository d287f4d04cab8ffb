package dev.mixtape.engine.vector;

import dev.mixtape.engine.Grad;
import dev.mixtape.engine.IndependentRows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link IndependentRows} on the Vector backend: every row once, shared between the caller and the
 * team's worker, each iteration run with the caller's {@link Grad} state (a worker left recording
 * would put a batched decoding step's ops on a tape).
 */
class RowLoopsTest {

    /** Rows that wait long enough for the worker to claim some: each runs once, on both threads, gradients off as the caller's. */
    @Test
    @Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void everyRowRunsOnceOnEitherThreadWithTheCallersGradState() {
        try (VectorBackend backend = new VectorBackend(2)) {
            int rows = 40;
            AtomicIntegerArray counts = new AtomicIntegerArray(rows);
            Set<Thread> threads = ConcurrentHashMap.newKeySet();
            Set<Boolean> recording = ConcurrentHashMap.newKeySet();
            try (Grad ignored = Grad.off()) {
                IndependentRows.forEach(backend, rows, (from, to) -> {
                    for (int r = from; r < to; r++) {
                        counts.incrementAndGet(r);
                        threads.add(Thread.currentThread());
                        recording.add(Grad.isEnabled());
                        pause();
                    }
                });
            }
            for (int r = 0; r < rows; r++) {
                assertEquals(1, counts.get(r), "row " + r);
            }
            assertEquals(2, threads.size(), "the worker takes rows too");
            assertEquals(Set.of(false), recording);
        }
    }

    /** On a backend of one thread the loop is one range on the caller. */
    @Test
    void oneThreadRunsTheWholeLoopAsOneRange() {
        try (VectorBackend backend = new VectorBackend(1)) {
            List<String> ranges = new ArrayList<>();
            IndependentRows.forEach(backend, 10, (from, to) -> ranges.add(from + ".." + to + " " + Thread.currentThread().getName()));
            assertEquals(List.of("0..10 " + Thread.currentThread().getName()), ranges);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
