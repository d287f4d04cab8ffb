package dev.mixtape.bench;

import java.lang.management.ManagementFactory;

/**
 * Checks that a thread setting really changes how many cores an implementation keeps busy: runs a
 * 1024³ product repeatedly for a fixed time and divides the process's CPU time by the wall time.
 * About 1 means one busy core, about 2 means two (less when other programs share the machine).
 */
final class ThreadCheck {
    private static final long RUN_NANOS = 1_500_000_000L;

    private ThreadCheck() {
    }

    /** Busy cores of {@code implementation} at {@code threads} threads, after a short warm-up. */
    static double busyCores(String implementation, int threads) {
        MatmulCase square = MatmulCase.square(1024);
        try (MatmulImplementation product = MatmulImplementation.create(implementation, square, threads, 7)) {
            product.multiply();
            product.multiply();
            com.sun.management.OperatingSystemMXBean os =
                    (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpuStart = os.getProcessCpuTime();
            long wallStart = System.nanoTime();
            do {
                product.multiply();
            } while (System.nanoTime() - wallStart < RUN_NANOS);
            return (double) (os.getProcessCpuTime() - cpuStart) / (System.nanoTime() - wallStart);
        }
    }
}
