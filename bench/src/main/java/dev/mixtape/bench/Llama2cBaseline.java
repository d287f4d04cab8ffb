package dev.mixtape.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * llama2.c's {@code run.c} as a decoding baseline, run on this machine beside Mixtape: times a
 * {@code run} binary the user built from llama2.c (its own code stays out of this repository) on a
 * random-weight checkpoint ({@link RandomLlama2cFiles}) with its OpenMP thread count set, greedy from
 * BOS.
 */
final class Llama2cBaseline {
    private static final Pattern ACHIEVED = Pattern.compile("achieved tok/s: ([0-9.]+)");

    private final Path runBinary;
    private final Path tokenizer;

    /** One run: {@code run.c}'s own figure (over the tokens after the first) and the process's wall time. */
    record Run(double achievedTokensPerSecond, double wallSeconds) {
    }

    /** A baseline timing {@code runBinary} on checkpoints that use {@code files}' tokenizer. */
    Llama2cBaseline(Path runBinary, RandomLlama2cFiles files) {
        if (!Files.isExecutable(runBinary)) {
            throw new IllegalArgumentException("--llama2c: " + runBinary + " is not an executable file (build llama2.c's run.c"
                    + " with: gcc -Ofast -march=native -fopenmp -o run run.c -lm)");
        }
        this.runBinary = runBinary;
        this.tokenizer = files.tokenizer();
    }

    /**
     * {@code run.c}'s own figure ("achieved tok/s", over the tokens after the first) for greedy decoding of
     * {@code tokens} tokens from BOS with {@code threads} OpenMP threads: the median of {@code repeats} runs.
     */
    double tokensPerSecond(Path checkpoint, int threads, int tokens, int repeats) throws IOException, InterruptedException {
        double[] figures = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            figures[i] = run(checkpoint, threads, tokens).achievedTokensPerSecond();
        }
        Arrays.sort(figures);
        return figures[repeats / 2];
    }

    /** Runs {@code run.c} once: greedy ({@code -t 0}) from BOS for {@code tokens} tokens ({@code -n}). */
    Run run(Path checkpoint, int threads, int tokens) throws IOException, InterruptedException {
        List<String> command = List.of(runBinary.toString(), checkpoint.toString(), "-z", tokenizer.toString(),
                "-t", "0", "-n", Integer.toString(tokens));
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        long start = System.nanoTime();
        Process process = builder.start();
        String errors;
        try (InputStream stderr = process.getErrorStream()) {
            errors = new String(stderr.readAllBytes(), StandardCharsets.UTF_8);
        }
        int exit = process.waitFor();
        double wallSeconds = (System.nanoTime() - start) / 1e9;
        Matcher achieved = ACHIEVED.matcher(errors);
        if (exit != 0 || !achieved.find()) {
            throw new IOException(String.join(" ", command) + " exited with " + exit + " without printing 'achieved tok/s': "
                    + errors.strip());
        }
        return new Run(Double.parseDouble(achieved.group(1)), wallSeconds);
    }
}
