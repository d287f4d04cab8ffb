package dev.mixtape.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Where a process's CPU time went between two moments, by kind of thread: each live platform thread's
 * CPU time (ThreadMXBean) summed under the name its {@code kinds} function gives it, and the rest of
 * the process's CPU time (GC, the JIT's compilers, the VM's own threads, threads that ended in between)
 * as "JVM (GC, JIT, ended threads)". Virtual threads count on the carrier threads they ran on.
 */
final class ThreadCpuShares {
    /** The kind of the rest: what no live Java thread accounts for. */
    static final String REST = "JVM (GC, JIT, ended threads)";
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final Function<String, String> kinds;
    private final Map<Long, Long> startCpu = new HashMap<>();
    private final long startProcessCpu;

    /** Starts counting now; {@code kinds} maps a thread's name to its kind. */
    ThreadCpuShares(Function<String, String> kinds) {
        this.kinds = kinds;
        this.startProcessCpu = processCpuNanos();
        for (long id : THREADS.getAllThreadIds()) {
            startCpu.put(id, THREADS.getThreadCpuTime(id));
        }
    }

    /** CPU nanoseconds per kind since this was made, the kinds in order of first appearance, the rest last. */
    Map<String, Long> sinceStart() {
        long processCpu = processCpuNanos() - startProcessCpu;
        Map<String, Long> byKind = new LinkedHashMap<>();
        long[] ids = THREADS.getAllThreadIds();
        ThreadInfo[] infos = THREADS.getThreadInfo(ids);
        long counted = 0;
        for (int i = 0; i < ids.length; i++) {
            long cpu = THREADS.getThreadCpuTime(ids[i]);
            if (infos[i] == null || cpu < 0) {
                continue;
            }
            long spent = cpu - startCpu.getOrDefault(ids[i], 0L);
            byKind.merge(kinds.apply(infos[i].getThreadName()), spent, Long::sum);
            counted += spent;
        }
        byKind.put(REST, Math.max(0, processCpu - counted));
        return byKind;
    }

    /** CPU time of every thread of this process so far. */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** {@code shares} as one line of "kind ms-per-token" pairs, per {@code tokens}. */
    static String perToken(Map<String, Long> shares, long tokens) {
        StringBuilder line = new StringBuilder();
        for (Map.Entry<String, Long> share : shares.entrySet()) {
            if (!line.isEmpty()) {
                line.append("; ");
            }
            line.append(share.getKey()).append(' ').append(String.format(java.util.Locale.ROOT, "%.3f", share.getValue() / 1e6 / tokens));
        }
        return line.toString();
    }
}
