package dev.mixtape.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a user's {@code ./mixtape generate} costs from a cold start: the whole process, JVM start,
 * model load, JIT warm-up and all, timed as a user sees it, on random-weight models of the
 * {@link DecodeShape}s in llama2.c's format. Three programs take turns on each shape and thread count:
 * the launcher with its start-up cache turned off ({@code MIXTAPE_AOT_CACHE=off}), the launcher with
 * it (made by the untimed first run), and, with {@code --llama2c RUN}, llama2.c's {@code run.c}. Prints
 * a Markdown table of medians.
 */
public final class ColdStartTable {
    private static final Pattern GENERATION_RATE = Pattern.compile("gen_tok_s=([0-9.]+)");

    private ColdStartTable() {
    }

    /** One timed run of a program: its wall time and the speed it reports for the generation alone. */
    private record Timing(double wallSeconds, double generationTokensPerSecond) {
    }

    /**
     * Runs the table. {@code --launcher PATH}: the {@code mixtape} launcher to time (bench/run passes the
     * checkout's); {@code --llama2c PATH}: llama2.c's run binary; {@code --runs N}: runs per cell (3);
     * {@code --tokens N}: tokens per run (256).
     */
    public static void main(String[] args) throws IOException, InterruptedException {
        Path launcher = null;
        Path llama2c = null;
        int runs = 3;
        int tokens = 256;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--launcher" -> launcher = Path.of(required(args[i], value));
                case "--llama2c" -> llama2c = Path.of(required(args[i], value));
                case "--runs" -> runs = Integer.parseInt(required(args[i], value));
                case "--tokens" -> tokens = Integer.parseInt(required(args[i], value));
                default -> throw new IllegalArgumentException("unknown argument '" + args[i]
                        + "' (expected --launcher PATH, --llama2c RUN, --runs N, --tokens N)");
            }
            i++;
        }
        if (launcher == null) {
            throw new IllegalArgumentException("--launcher PATH is required (bench/run passes the checkout's ./mixtape)");
        }
        System.out.println(Host.describe() + " " + LocalDate.now() + ".");
        System.out.println("Whole-process wall time of greedy generation of " + tokens + " tokens from BOS, random weights, f32; "
                + "median of " + runs + " runs per cell, the programs taking turns.");
        System.out.println();
        System.out.println("| model shape | threads | program | wall s | tok/s over the whole run | generation tok/s | whole run vs run.c |");
        System.out.println("|---|---:|---|---:|---:|---:|---:|");
        try (RandomLlama2cFiles files = new RandomLlama2cFiles(DecodeShape.VOCAB_SIZE)) {
            Llama2cBaseline baseline = llama2c == null ? null : new Llama2cBaseline(llama2c, files);
            for (DecodeShape shape : DecodeShape.ALL) {
                Path checkpoint = files.checkpoint(shape.key(), shape.config(), shape.config().maxPositions(), 1);
                for (int threads : new int[] {1, 2}) {
                    printRows(shape, threads, runs, tokens, launcher, files.tokenizer(), checkpoint, baseline);
                }
            }
        }
        System.out.println();
        System.out.println("generation tok/s: what the program reports for the tokens alone (mixtape's --stats, run.c's "
                + "\"achieved tok/s\", which leaves out the first token).");
    }

    private static String required(String flag, String value) {
        if (value == null) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return value;
    }

    private static void printRows(DecodeShape shape, int threads, int runs, int tokens, Path launcher, Path tokenizer,
                                  Path checkpoint, Llama2cBaseline baseline) throws IOException, InterruptedException {
        List<String> generate = List.of(launcher.toString(), "generate", "--model", checkpoint.toString(),
                "--tokenizer", tokenizer.toString(), "--max-new-tokens", Integer.toString(tokens), "--temperature", "0", "--stats");
        Map<String, List<Timing>> timings = new LinkedHashMap<>();
        timings.put("mixtape, no start-up cache", new ArrayList<>());
        timings.put("mixtape", new ArrayList<>());
        if (baseline != null) {
            timings.put("llama2.c run.c", new ArrayList<>());
        }
        runMixtape(generate, threads, "on");
        for (int run = 0; run < runs; run++) {
            timings.get("mixtape, no start-up cache").add(runMixtape(generate, threads, "off"));
            timings.get("mixtape").add(runMixtape(generate, threads, "on"));
            if (baseline != null) {
                Llama2cBaseline.Run result = baseline.run(checkpoint, threads, tokens);
                timings.get("llama2.c run.c").add(new Timing(result.wallSeconds(), result.achievedTokensPerSecond()));
            }
        }
        Double runCWall = baseline == null ? null : median(timings.get("llama2.c run.c"), Timing::wallSeconds);
        for (Map.Entry<String, List<Timing>> program : timings.entrySet()) {
            double wall = median(program.getValue(), Timing::wallSeconds);
            double generation = median(program.getValue(), Timing::generationTokensPerSecond);
            System.out.printf(Locale.ROOT, "| %s | %d | %s | %.2f | %.1f | %.1f | %s |%n", shape.description(), threads,
                    program.getKey(), wall, tokens / wall, generation,
                    runCWall == null ? "–" : String.format(Locale.ROOT, "%.2f×", runCWall / wall));
        }
    }

    /** Runs the launcher once with the start-up cache {@code on} or {@code off}. */
    private static Timing runMixtape(List<String> command, int threads, String cache) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("MIXTAPE_THREADS", Integer.toString(threads));
        builder.environment().put("MIXTAPE_AOT_CACHE", cache);
        long start = System.nanoTime();
        Process process = builder.start();
        String errors;
        try (InputStream stderr = process.getErrorStream()) {
            errors = new String(stderr.readAllBytes(), StandardCharsets.UTF_8);
        }
        int exit = process.waitFor();
        double wallSeconds = (System.nanoTime() - start) / 1e9;
        Matcher rate = GENERATION_RATE.matcher(errors);
        if (exit != 0 || !rate.find()) {
            throw new IOException(String.join(" ", command) + " exited with " + exit + " without a stats line: " + errors.strip());
        }
        return new Timing(wallSeconds, Double.parseDouble(rate.group(1)));
    }

    private static double median(List<Timing> timings, ToDoubleFunction<Timing> figure) {
        double[] values = timings.stream().mapToDouble(figure).toArray();
        Arrays.sort(values);
        return values[values.length / 2];
    }
}
