package dev.mixtape.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The largest live heap of a stretch of work, found by sampling: while it runs, a daemon thread
 * runs full collections ({@code System.gc()}) and keeps the largest heap in use after
 * one (the sum over the heap's pools of the collector's own after-collection figures, so nothing
 * allocated after the collection counts), pausing four times a collection's duration between two. A sample is a lower bound of the peak at that moment; in a
 * training step on the Vector backend most arrays stay reachable until a stretch of the step ends
 * (a {@code StepMemory} step or scope holds what it lent, the kernels' pools what they took), so
 * the live heap rises in long plateaus whose tops the samples find. It slows the work it watches by
 * a fifth or more: for a sizing run, not a timed one.
 */
final class PeakLiveHeap implements AutoCloseable {
    /** The sampler waits this many times a collection's duration before the next, so that the work keeps most of the time. */
    private static final int PAUSE_PER_COLLECTION = 4;

    private final Thread sampler;
    private volatile boolean running = true;
    private volatile long peakBytes;
    private volatile int samples;

    private PeakLiveHeap() {
        sampler = Thread.ofPlatform().daemon().name("peak-live-heap").start(this::sample);
    }

    /** Starts sampling. */
    static PeakLiveHeap start() {
        return new PeakLiveHeap();
    }

    private void sample() {
        Set<String> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(pool -> pool.getType() == MemoryType.HEAP).map(MemoryPoolMXBean::getName).collect(Collectors.toSet());
        while (running) {
            long start = System.nanoTime();
            System.gc();
            long collectionNanos = System.nanoTime() - start;
            long live = ManagementFactory.getGarbageCollectorMXBeans().stream()
                    .map(bean -> ((com.sun.management.GarbageCollectorMXBean) bean).getLastGcInfo())
                    .filter(info -> info != null)
                    .max((a, b) -> Long.compare(a.getEndTime(), b.getEndTime()))
                    .map(info -> heapUsed(info.getMemoryUsageAfterGc(), heapPools))
                    .orElse(0L);
            peakBytes = Math.max(peakBytes, live);
            samples++;
            try {
                Thread.sleep(Duration.ofNanos(PAUSE_PER_COLLECTION * collectionNanos));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static long heapUsed(Map<String, MemoryUsage> pools, Set<String> heapPools) {
        return pools.entrySet().stream().filter(pool -> heapPools.contains(pool.getKey())).mapToLong(pool -> pool.getValue().getUsed()).sum();
    }

    /** The largest live heap sampled so far, in bytes. */
    long peakBytes() {
        return peakBytes;
    }

    /** The collections sampled so far. */
    int samples() {
        return samples;
    }

    /** Stops sampling (after the collection under way). */
    @Override
    public void close() throws InterruptedException {
        running = false;
        sampler.join();
    }
}
