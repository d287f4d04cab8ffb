package dev.mixtape.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The short run the launcher records its start-up cache from (JDK 25's AOT cache: the classes a run
 * loads, already parsed and linked, and the profiles of the methods it ran hot, so that the JIT
 * compiles them at once instead of after thousands of slow calls). It runs the commands a user starts
 * with, in one JVM, on the bundled tiny model: {@code generate} several times (the decoding kernels)
 * and a few steps of {@code finetune} (the training kernels). Its output is of no interest; the
 * launcher discards it.
 */
final class StartupWorkload {
    private static final int GENERATIONS = 8;

    private StartupWorkload() {
    }

    /** Runs the workload; exits with the first failing command's status. */
    public static void main(String[] args) throws IOException {
        Path scratch = Files.createTempDirectory("mixtape-startup-");
        try {
            for (int i = 0; i < GENERATIONS; i++) {
                exitOnFailure(Mixtape.run("generate", "--max-new-tokens", "60", "--temperature", "0"));
            }
            exitOnFailure(Mixtape.run("finetune", "--steps", "4", "--batch-size", "8", "--out", scratch.resolve("run").toString()));
        } finally {
            try (Stream<Path> files = Files.walk(scratch)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
    }

    private static void exitOnFailure(int status) {
        if (status != 0) {
            System.exit(status);
        }
    }
}
