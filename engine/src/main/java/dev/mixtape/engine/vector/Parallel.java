package dev.mixtape.engine.vector;

import dev.mixtape.engine.BatchInvariantProducts;
import dev.mixtape.engine.CallerThreadKernels;
import dev.mixtape.engine.FrozenWeights;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A fixed team of worker threads for splitting one kernel over ranges of indices.
 *
 * <p>Kernels are short (a decoded token runs hundreds of them in a millisecond), so a hand-off through
 * an executor's queue would cost more than many kernels take. Instead the caller publishes the job by
 * bumping a generation number; workers spin briefly on it before parking ({@link #SPIN_NANOS}). A job
 * is a list of tasks (index ranges) that the caller and the workers claim one by one from a shared
 * counter, so a worker that is slow to wake or shares its core with other work simply runs fewer of
 * them. When no task is left the caller closes the job, which stops workers that have not joined yet
 * from joining, and waits only for those running a task: it never waits for a parked worker to wake
 * up. One job runs at a time: a second thread that finds the team busy, and a kernel started from
 * inside a running job (by a worker or by the caller, whose lock is re-entrant), runs its loop inline.
 * Inside {@link CallerThreadKernels#run} every loop runs inline too. A worker runs the caller's
 * tasks inside the caller's {@link BatchInvariantProducts} scope (a product's columns read from the
 * weights' panels on every thread, not only the caller's). Workers are daemon threads, so an engine
 * that is never closed does not keep the JVM alive.
 */
final class Parallel implements AutoCloseable {
    /** The body of a parallel loop: handles indices {@code from} (inclusive) to {@code to} (exclusive). */
    @FunctionalInterface
    interface RangeBody {
        void run(int from, int to);
    }

    /**
     * How long a waiting thread spins before it parks or yields. The spin is a plain loop on a
     * volatile read, without {@link Thread#onSpinWait}: on a virtual machine a loop of PAUSE
     * instructions makes the hypervisor take the vCPU away (pause-loop exiting, meant for spinlock
     * waiters), so a worker spinning that way answered a new job late and the caller ran most tasks
     * itself (a profile of two-thread decoding found the worker in 78 of the 1,044 samples of the GEMV
     * kernel). 200 µs is meant to outlast the gap between two split products of a decoding step (the
     * norms, RoPE, attention and the small products the caller runs alone: some 50–100 µs for the
     * stories15M shape on one core), so that a decoding worker never parks, while an idle one stops
     * spinning soon. What this bought was first measured on a host loaded by other work;
     * docs/BENCHMARKS.md ("Decoding") has the quiet-host figures before and after.
     */
    private static final long SPIN_NANOS = 200_000;
    /** Spin iterations between two looks at the clock. */
    private static final int SPINS_PER_CLOCK_READ = 64;
    /** {@link #state}: the job's generation in the high 32 bits, this bit once closed, workers in it below. */
    private static final long CLOSED = 1L << 31;
    private static final long ACTIVE = CLOSED - 1;
    private static final AtomicInteger TEAMS = new AtomicInteger();

    private final int threads;
    private final Worker[] workers;
    private final ReentrantLock submitting = new ReentrantLock();
    private final AtomicLong state = new AtomicLong();
    private final AtomicInteger nextTask = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean closed;
    private RangeBody job;
    private int jobSize;
    private int jobTasks;
    private int jobChunk;
    /** The caller's {@link BatchInvariantProducts} scope: its rows (0 outside one) and weights' panels. */
    private int jobRows;
    private FrozenWeights jobFrozen;

    Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be at least 1, got " + threads);
        }
        this.threads = threads;
        int team = TEAMS.incrementAndGet();
        workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker("mixtape-vector-" + team + "-" + (i + 1));
            workers[i].start();
        }
    }

    int threads() {
        return threads;
    }

    /**
     * The threads a loop started now by the calling thread would run on: 1 from inside a running job
     * (a worker, or the caller while its job runs) and inside {@link CallerThreadKernels#run}, where
     * loops run inline, else {@link #threads()}.
     * Kernels that cut their work into pieces per thread plan with this.
     */
    int threadsHere() {
        return inline() ? 1 : threads;
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@code threads} contiguous ranges of
     * at least {@code minPerTask} indices each; returns when all are done. The ranges depend only on
     * n, the thread count and minPerTask, not on which thread runs them.
     */
    void forRange(int n, int minPerTask, RangeBody body) {
        run(n, Math.min(threads, Math.max(1, n / Math.max(1, minPerTask))), 0, body);
    }

    /**
     * Runs {@code body} over {@code [0, n)} in chunks of {@code chunk} indices (the last may be
     * shorter). With many more chunks than threads, a thread that is slowed down claims fewer of them:
     * memory-bound kernels such as a decoding step's matrix-vector products then finish when the
     * team's bandwidth is used up, not when the slowest thread has done an equal share.
     */
    void forChunks(int n, int chunk, RangeBody body) {
        int size = Math.max(1, chunk);
        run(n, (int) ((n + (long) size - 1) / size), size, body);
    }

    private void run(int n, int tasks, int chunk, RangeBody body) {
        if (tasks <= 1 || closed || inline() || !submitting.tryLock()) {
            body.run(0, n);
            return;
        }
        try {
            job = body;
            jobSize = n;
            jobTasks = tasks;
            jobChunk = chunk;
            jobRows = BatchInvariantProducts.rows();
            jobFrozen = BatchInvariantProducts.frozenWeights();
            failure.set(null);
            nextTask.set(0);
            state.set((generationOf(state.get()) + 1L) << 32);
            for (Worker worker : workers) {
                LockSupport.unpark(worker);
            }
            try {
                runTasks();
            } catch (Throwable t) {
                recordFailure(t);
            }
            state.getAndAdd(CLOSED);
            long spinStart = System.nanoTime();
            for (int spins = 1; (state.get() & ACTIVE) != 0; spins++) {
                if (spins % SPINS_PER_CLOCK_READ == 0 && System.nanoTime() - spinStart > SPIN_NANOS) {
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
            jobFrozen = null;
            submitting.unlock();
        }
    }

    /** Whether a loop started now on this thread runs inline: from inside a job, or asked to by the caller. */
    private boolean inline() {
        return Thread.currentThread() instanceof Worker || submitting.isHeldByCurrentThread() || CallerThreadKernels.inForce();
    }

    /** Keeps the job's first failure to rethrow; later ones are attached to it as suppressed. */
    private void recordFailure(Throwable t) {
        if (!failure.compareAndSet(null, t) && failure.get() != t) {
            synchronized (failure) {
                failure.get().addSuppressed(t);
            }
        }
    }

    /** {@link #runTasks} on a worker, inside the caller's {@link BatchInvariantProducts} scope. */
    private void runTasksInCallerScope() {
        int rows = jobRows;
        FrozenWeights frozen = jobFrozen;
        if (rows == 0) {
            runTasks();
            return;
        }
        Supplier<Void> tasks = () -> {
            runTasks();
            return null;
        };
        if (frozen == null) {
            BatchInvariantProducts.run(rows, tasks);
        } else {
            BatchInvariantProducts.run(rows, frozen, tasks);
        }
    }

    /** Claims and runs tasks of the current job until none is left. */
    private void runTasks() {
        for (int task = nextTask.getAndIncrement(); task < jobTasks; task = nextTask.getAndIncrement()) {
            job.run(rangeStart(task), rangeStart(task + 1));
        }
    }

    /** First index of task {@code task} of the current job; task {@code task} ends where {@code task + 1} starts. */
    private int rangeStart(int task) {
        if (task >= jobTasks) {
            return jobSize;
        }
        return jobChunk > 0 ? task * jobChunk : (int) ((long) jobSize * task / jobTasks);
    }

    private static int generationOf(long state) {
        return (int) (state >>> 32);
    }

    /** Joins the job of {@code generation} unless it is closed or already replaced by a newer one. */
    private boolean enterJob(int generation) {
        while (true) {
            long current = state.get();
            if (generationOf(current) != generation || (current & CLOSED) != 0) {
                return false;
            }
            if (state.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Worker worker : workers) {
            LockSupport.unpark(worker);
        }
    }

    /** A team member: waits for a new generation, joins its job if still open, claims tasks, leaves. */
    private final class Worker extends Thread {
        /**
         * The generation this worker has seen, read when the team is made rather than when the thread
         * first runs: a job published before a slow-starting thread gets going must still count as
         * new to it.
         */
        private int seen;

        Worker(String name) {
            super(name);
            this.seen = generationOf(state.get());
            setDaemon(true);
        }

        @Override
        public void run() {
            while (true) {
                long spinStart = System.nanoTime();
                for (int spins = 1; generationOf(state.get()) == seen && !closed; spins++) {
                    if (spins % SPINS_PER_CLOCK_READ == 0 && System.nanoTime() - spinStart > SPIN_NANOS) {
                        LockSupport.park(this);
                    }
                }
                if (closed) {
                    return;
                }
                seen = generationOf(state.get());
                if (!enterJob(seen)) {
                    continue;
                }
                try {
                    runTasksInCallerScope();
                } catch (Throwable t) {
                    recordFailure(t);
                } finally {
                    state.getAndDecrement();
                }
            }
        }
    }
}
