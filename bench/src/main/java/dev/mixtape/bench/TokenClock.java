package dev.mixtape.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * When each generated token of a {@code ./mixtape generate} process reached its standard output, in
 * wall-clock time and in the CPU time its decoding threads (the threads Linux names {@code java}: the
 * main thread, and the launching one, which only waits; and the Vector backend's
 * {@code mixtape-vector-*} workers; not the JIT's compiler threads or the collector) had used by then, read from {@code /proc/PID/task/*}{@code /schedstat}. The CPU figure is the steadier
 * one on a machine shared with other work, which stretches wall time but hardly the CPU time a token
 * costs. Tokens are told apart by the trailing space every piece of the benchmark's tokenizer that
 * greedy decoding of its random weights picks has.
 *
 * @param wallSeconds seconds from the process's start to token i's arrival
 * @param cpuSeconds  the decoding threads' CPU seconds at token i's arrival (0 where {@code /proc} is absent)
 */
record TokenClock(double[] wallSeconds, double[] cpuSeconds) {

    /**
     * Reads {@code stdout} of {@code process}, started at {@code startNanos} ({@link System#nanoTime}),
     * to its end, noting the first {@code tokens} tokens; fails when fewer arrive.
     */
    static TokenClock read(Process process, InputStream stdout, long startNanos, int tokens) throws IOException {
        double[] wall = new double[tokens];
        double[] cpu = new double[tokens];
        Path tasks = Path.of("/proc", Long.toString(process.pid()), "task");
        int seen = 0;
        byte[] buffer = new byte[4096];
        for (int read = stdout.read(buffer); read >= 0; read = stdout.read(buffer)) {
            double now = (System.nanoTime() - startNanos) / 1e9;
            double used = -1;
            for (int i = 0; i < read; i++) {
                if (buffer[i] == ' ' && seen < tokens) {
                    if (used < 0) {
                        used = decodingCpuSeconds(tasks);
                    }
                    wall[seen] = now;
                    cpu[seen] = used;
                    seen++;
                }
            }
        }
        if (seen < tokens) {
            throw new IOException("the process printed " + seen + " space-ended pieces for " + tokens
                    + " tokens: its tokens cannot be told apart");
        }
        return new TokenClock(wall, cpu);
    }

    /** Tokens per second of wall time over tokens {@code from} to {@code to} (exclusive; from > 0). */
    double wallRate(int from, int to) {
        return (to - from) / (wallSeconds[to - 1] - wallSeconds[from - 1]);
    }

    /** Milliseconds of the decoding threads' CPU per token over tokens {@code from} to {@code to} (from > 0). */
    double cpuMillisPerToken(int from, int to) {
        return 1e3 * (cpuSeconds[to - 1] - cpuSeconds[from - 1]) / (to - from);
    }

    /** The decoding threads' CPU seconds so far; 0 where the process or {@code /proc} is gone. */
    private static double decodingCpuSeconds(Path tasks) {
        long nanos = 0;
        try (DirectoryStream<Path> threads = Files.newDirectoryStream(tasks)) {
            for (Path thread : threads) {
                try {
                    String name = Files.readString(thread.resolve("comm")).strip();
                    if (name.equals("java") || name.startsWith("mixtape-vector-")) {
                        String schedstat = Files.readString(thread.resolve("schedstat"));
                        nanos += Long.parseLong(schedstat.substring(0, schedstat.indexOf(' ')));
                    }
                } catch (IOException | RuntimeException gone) {
                    // The thread ended between the listing and the read: it decodes no more.
                }
            }
        } catch (IOException gone) {
            return 0;
        }
        return nanos / 1e9;
    }
}
