package dev.mixtape.engine.vector;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed team of worker threads for splitting one kernel over ranges of indices. The calling thread
 * takes the first range itself, so a team of {@code threads} runs {@code threads} ranges at once.
 *
 * <p>Kernels are short (a decoded token runs hundreds of them in a millisecond), so a hand-off
 * through an executor's queue would cost more than many kernels take. Instead the caller publishes
 * the job by bumping a generation counter; workers spin briefly on it before parking, and the
 * caller spins until every worker has finished its range. One job runs at a time: a second thread
 * that finds the team busy, and a kernel started from inside a running job (by a worker or by the
 * caller, whose lock is re-entrant), runs its loop inline.
 * Workers are daemon threads, so an engine that is never closed does not keep the JVM alive.
 */
final class Parallel implements AutoCloseable {
    /** The body of a parallel loop: handles indices {@code from} (inclusive) to {@code to} (exclusive). */
    @FunctionalInterface
    interface RangeBody {
        void run(int from, int to);
    }

    /** Spin iterations before a waiting thread parks or yields (a few microseconds). */
    private static final int SPINS_BEFORE_PARKING = 1 << 11;
    private static final AtomicInteger TEAMS = new AtomicInteger();

    private final int threads;
    private final Worker[] workers;
    private final ReentrantLock submitting = new ReentrantLock();
    private final AtomicInteger unfinished = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile int generation;
    private volatile boolean closed;
    private RangeBody job;
    private int jobSize;
    private int jobTasks;

    Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be at least 1, got " + threads);
        }
        this.threads = threads;
        int team = TEAMS.incrementAndGet();
        workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1, "mixtape-vector-" + team + "-" + (i + 1));
            workers[i].start();
        }
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
        if (tasks <= 1 || closed || Thread.currentThread() instanceof Worker || submitting.isHeldByCurrentThread()
                || !submitting.tryLock()) {
            body.run(0, n);
            return;
        }
        try {
            job = body;
            jobSize = n;
            jobTasks = tasks;
            failure.set(null);
            unfinished.set(workers.length);
            generation++;
            for (Worker worker : workers) {
                LockSupport.unpark(worker);
            }
            body.run(0, rangeStart(1));
            for (int spins = 0; unfinished.get() > 0; spins++) {
                if (spins < SPINS_BEFORE_PARKING) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
            Throwable thrown = failure.get();
            if (thrown instanceof RuntimeException e) {
                throw e;
            }
            if (thrown instanceof Error e) {
                throw e;
            }
        } finally {
            job = null;
            submitting.unlock();
        }
    }

    /** First index of range {@code task} of the current job; range {@code task} ends where {@code task + 1} starts. */
    private int rangeStart(int task) {
        return task >= jobTasks ? jobSize : (int) ((long) jobSize * task / jobTasks);
    }

    @Override
    public void close() {
        closed = true;
        for (Worker worker : workers) {
            LockSupport.unpark(worker);
        }
    }

    /** A team member: waits for a new generation, runs its range of the job, reports back. */
    private final class Worker extends Thread {
        private final int index;
        /**
         * The generation whose job this worker has done, read when the team is made rather than when
         * the thread first runs: a job published before a slow-starting thread gets going must still
         * count as new to it, or the caller would wait for it forever.
         */
        private int seen;

        Worker(int index, String name) {
            super(name);
            this.index = index;
            this.seen = generation;
            setDaemon(true);
        }

        @Override
        public void run() {
            while (true) {
                int spins = 0;
                while (generation == seen && !closed) {
                    if (spins++ < SPINS_BEFORE_PARKING) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.park(this);
                    }
                }
                if (closed) {
                    return;
                }
                seen = generation;
                try {
                    if (index < jobTasks) {
                        job.run(Parallel.this.rangeStart(index), Parallel.this.rangeStart(index + 1));
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    unfinished.decrementAndGet();
                }
            }
        }
    }
}
