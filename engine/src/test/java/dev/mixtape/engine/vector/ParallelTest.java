package dev.mixtape.engine.vector;

import dev.mixtape.engine.BatchInvariantProducts;
import dev.mixtape.engine.CallerThreadKernels;
import dev.mixtape.engine.FrozenWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The worker team: every index once, nested loops, failures. */
class ParallelTest {

    /** Jobs published at once by a new team, before its threads may have started, run every task once and return. */
    @Test
    @Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aNewTeamRunsAJobPublishedBeforeItsThreadsStarted() {
        for (int repeat = 0; repeat < 200; repeat++) {
            try (Parallel team = new Parallel(3)) {
                AtomicIntegerArray counts = new AtomicIntegerArray(3);
                team.forRange(3, 1, (from, to) -> counts.incrementAndGet(from));
                assertEquals(List.of(1, 1, 1), List.of(counts.get(0), counts.get(1), counts.get(2)));
            }
        }
    }

    /** Inside a running job, by the caller or a worker, a new loop would run inline: one thread to plan for. */
    @Test
    @Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void insideAJobThereIsOneThreadToPlanFor() {
        try (Parallel team = new Parallel(3)) {
            assertEquals(3, team.threadsHere());
            AtomicIntegerArray seen = new AtomicIntegerArray(3);
            team.forChunks(3, 1, (from, to) -> seen.set(from, team.threadsHere()));
            assertEquals(List.of(1, 1, 1), List.of(seen.get(0), seen.get(1), seen.get(2)));
            assertEquals(3, team.threadsHere());
        }
    }

    /**
     * Inside {@link CallerThreadKernels#run} a loop runs on the caller alone, planned as one thread, while
     * the same loop outside it is shared: each chunk waits long enough for the worker to claim some, so
     * a team that ignored the scope would be seen running chunks inside it.
     */
    @Test
    @Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void insideCallerThreadKernelsEveryChunkRunsOnTheCaller() {
        try (Parallel team = new Parallel(2)) {
            Set<Thread> shared = ConcurrentHashMap.newKeySet();
            team.forChunks(40, 1, (from, to) -> {
                shared.add(Thread.currentThread());
                pause();
            });
            assertEquals(2, shared.size(), "outside the scope the worker takes chunks too");
            Set<Thread> inside = ConcurrentHashMap.newKeySet();
            int planned = CallerThreadKernels.run(() -> {
                team.forChunks(40, 1, (from, to) -> {
                    inside.add(Thread.currentThread());
                    pause();
                });
                return team.threadsHere();
            });
            assertEquals(Set.of(Thread.currentThread()), inside);
            assertEquals(1, planned);
            assertEquals(2, team.threadsHere());
        }
    }

    /**
     * The worker runs the caller's tasks inside the caller's {@link BatchInvariantProducts} scope (so
     * that a product's columns on the worker read the weights' panels too, and take the same kernel as
     * the caller's): chunks that wait long enough for the worker to claim some record the scope each
     * thread saw, and the worker must have seen the caller's rows and weights.
     */
    @Test
    @Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void theWorkerRunsTasksInTheCallersProductScope() {
        try (Parallel team = new Parallel(2)) {
            FrozenWeights frozen = new FrozenWeights(List.of());
            Set<Thread> threads = ConcurrentHashMap.newKeySet();
            Set<String> scopes = ConcurrentHashMap.newKeySet();
            BatchInvariantProducts.run(16, frozen, () -> {
                team.forChunks(40, 1, (from, to) -> {
                    threads.add(Thread.currentThread());
                    scopes.add(BatchInvariantProducts.rows() + " " + (BatchInvariantProducts.frozenWeights() == frozen));
                    pause();
                });
                return null;
            });
            assertEquals(2, threads.size(), "the worker takes chunks too");
            assertEquals(Set.of("16 true"), scopes);
            Set<String> outside = ConcurrentHashMap.newKeySet();
            team.forChunks(40, 1, (from, to) -> {
                outside.add(BatchInvariantProducts.rows() + " " + BatchInvariantProducts.frozenWeights());
                pause();
            });
            assertEquals(Set.of("0 null"), outside, "a later job outside the scope runs outside it on every thread");
        }
    }

    private static void pause() {
        try {
            Thread.sleep(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    @Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void everyIndexRunsExactlyOnce() {
        try (Parallel team = new Parallel(3)) {
            AtomicIntegerArray counts = new AtomicIntegerArray(1000);
            team.forRange(1000, 1, (from, to) -> {
                for (int i = from; i < to; i++) {
                    counts.incrementAndGet(i);
                }
            });
            for (int i = 0; i < 1000; i++) {
                assertEquals(1, counts.get(i), "index " + i);
            }
        }
    }

    @Test
    @Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void chunksCoverEveryIndexOnceWithTheGivenBoundaries() {
        try (Parallel team = new Parallel(3)) {
            for (int repeat = 0; repeat < 100; repeat++) {
                AtomicIntegerArray counts = new AtomicIntegerArray(1003);
                team.forChunks(1003, 10, (from, to) -> {
                    assertEquals(0, from % 10, "chunk start " + from);
                    assertEquals(Math.min(1003, from + 10), to, "chunk end after " + from);
                    for (int i = from; i < to; i++) {
                        counts.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < counts.length(); i++) {
                    assertEquals(1, counts.get(i), "index " + i);
                }
            }
        }
    }

    /** A kernel that runs a parallel kernel inside its own range (a fused op calling a matmul) must not take the team twice. */
    @Test
    @Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aLoopStartedInsideARunningLoopRunsInlineOnEveryThread() {
        try (Parallel team = new Parallel(2)) {
            for (int repeat = 0; repeat < 200; repeat++) {
                AtomicIntegerArray counts = new AtomicIntegerArray(64 * 64);
                team.forRange(64, 1, (from, to) -> {
                    for (int row = from; row < to; row++) {
                        int base = row * 64;
                        team.forRange(64, 1, (innerFrom, innerTo) -> {
                            for (int i = innerFrom; i < innerTo; i++) {
                                counts.incrementAndGet(base + i);
                            }
                        });
                    }
                });
                for (int i = 0; i < counts.length(); i++) {
                    assertEquals(1, counts.get(i), "index " + i);
                }
            }
        }
    }

    @Test
    @Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aFailureInAWorkerReachesTheCaller() {
        try (Parallel team = new Parallel(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> team.forRange(100, 1, (from, to) -> {
                if (from > 0) {
                    throw new IllegalStateException("boom in " + from);
                }
            }));
            assertEquals("boom in 50", e.getMessage());
            AtomicIntegerArray counts = new AtomicIntegerArray(10);
            team.forRange(10, 1, (from, to) -> {
                for (int i = from; i < to; i++) {
                    counts.incrementAndGet(i);
                }
            });
            assertEquals(1, counts.get(9), "the team still works");
        }
    }
}
