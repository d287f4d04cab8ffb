package dev.mixtape.engine;

import java.util.function.Supplier;

/**
 * A scope in which every kernel runs on the calling thread alone, without the backend's worker
 * threads: for a caller that already keeps every core busy with passes of its own side by side (a
 * server decoding groups of requests on one thread per core), where a backend's worker joining each
 * kernel would only be one thread too many for the cores, spinning between kernels while the others
 * need them. Results do not depend on it: a kernel's split over threads never changes its sums. The
 * scope holds on the calling thread for the pass {@link #run} runs (a scoped value); backends that
 * split no work over threads ignore it.
 */
public final class CallerThreadKernels {
    private static final ScopedValue<Boolean> IN_SCOPE = ScopedValue.newInstance();

    private CallerThreadKernels() {
    }

    /** Runs {@code pass} with its kernels on this thread only. */
    public static <T> T run(Supplier<T> pass) {
        return ScopedValue.where(IN_SCOPE, Boolean.TRUE).call(pass::get);
    }

    /** Whether kernels started on this thread now must run on it alone. */
    public static boolean inForce() {
        return IN_SCOPE.isBound();
    }
}
