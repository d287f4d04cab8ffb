package dev.mixtape.engine.vector;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed pool of worker threads for splitting one kernel over ranges of rows. The calling thread
 * takes the first range itself, so a pool of {@code threads} runs {@code threads} ranges at once.
 * Workers are daemon threads: an engine that is never closed does not keep the JVM alive.
 */
final class Parallel implements AutoCloseable {
    /** The body of a parallel loop: handles indices {@code from} (inclusive) to {@code to} (exclusive). */
    @FunctionalInterface
    interface RangeBody {
        void run(int from, int to);
    }

    private static final AtomicInteger POOLS = new AtomicInteger();

    private final int threads;
    private final ExecutorService workers;

    Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be at least 1, got " + threads);
        }
        this.threads = threads;
        int pool = POOLS.incrementAndGet();
        AtomicInteger count = new AtomicInteger();
        this.workers = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1,
                r -> new Worker(r, "mixtape-vector-" + pool + "-" + count.incrementAndGet()));
    }

    int threads() {
        return threads;
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@code threads} contiguous ranges of
     * at least {@code minPerTask} indices each; returns when all are done.
     */
    void forRange(int n, int minPerTask, RangeBody body) {
        int tasks = Math.min(threads, Math.max(1, n / Math.max(1, minPerTask)));
        if (tasks <= 1 || isWorkerThread()) {
            body.run(0, n);
            return;
        }
        Future<?>[] pending = new Future<?>[tasks - 1];
        for (int t = 1; t < tasks; t++) {
            int from = (int) ((long) n * t / tasks);
            int to = (int) ((long) n * (t + 1) / tasks);
            pending[t - 1] = workers.submit(() -> body.run(from, to));
        }
        body.run(0, (int) ((long) n / tasks));
        for (Future<?> f : pending) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a kernel", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw new IllegalStateException(e.getCause());
            }
        }
    }

    /** A kernel already running on a worker splits no further: nested loops run inline. */
    private static boolean isWorkerThread() {
        return Thread.currentThread() instanceof Worker;
    }

    private static final class Worker extends Thread {
        Worker(Runnable task, String name) {
            super(task, name);
            setDaemon(true);
        }
    }

    @Override
    public void close() {
        if (workers != null) {
            workers.shutdownNow();
        }
    }
}
