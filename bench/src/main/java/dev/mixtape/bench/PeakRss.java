package dev.mixtape.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process's peak resident set size, Linux's {@code VmHWM} in {@code /proc/self/status}. */
final class PeakRss {
    private PeakRss() {
    }

    /** Peak RSS in MB (MiB), or -1 where {@code /proc} is not available. */
    static double megabytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
