package dev.mixtape.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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

    /** Tokens per window of the warm-up curve. */
    private static final int WINDOW = 16;

    /**
     * One timed run of a program: its wall time, the speed it reports for the generation alone and, for
     * the launcher, when each token arrived (null for run.c).
     */
    private record Timing(double wallSeconds, double generationTokensPerSecond, TokenClock clock) {
    }

    /** A launcher to time: its row name, path and whether its start-up cache is on. */
    private record Launcher(String name, Path path, boolean cache) {
    }

    /**
     * Runs the table. {@code --launcher PATH}: the {@code mixtape} launcher to time (bench/run passes the
     * checkout's); {@code --baseline-launcher PATH}: another checkout's launcher timed in turn with it
     * (with its start-up cache), for a before/after in one command; {@code --llama2c PATH}: llama2.c's
     * run binary; {@code --runs N}: runs per cell (3); {@code --tokens N}: tokens per run (256);
     * {@code --shape KEY} (stories15M, stories110M) and {@code --threads N}: only those rows;
     * {@code --cached-only}: no row without the start-up cache (a before/after needs none).
     */
    public static void main(String[] args) throws IOException, InterruptedException {
        Path launcher = null;
        Path baselineLauncher = null;
        Path llama2c = null;
        int runs = 3;
        int tokens = 256;
        String onlyShape = null;
        int onlyThreads = 0;
        boolean uncached = true;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--cached-only")) {
                uncached = false;
                continue;
            }
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--launcher" -> launcher = Path.of(required(args[i], value));
                case "--llama2c" -> llama2c = Path.of(required(args[i], value));
                case "--runs" -> runs = Integer.parseInt(required(args[i], value));
                case "--baseline-launcher" -> baselineLauncher = Path.of(required(args[i], value));
                case "--tokens" -> tokens = Integer.parseInt(required(args[i], value));
                case "--shape" -> onlyShape = required(args[i], value);
                case "--threads" -> onlyThreads = Integer.parseInt(required(args[i], value));
                default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "' (expected --launcher PATH, "
                        + "--baseline-launcher PATH, --llama2c RUN, --runs N, --tokens N, --shape KEY, --threads N, --cached-only)");
            }
            i++;
        }
        if (launcher == null) {
            throw new IllegalArgumentException("--launcher PATH is required (bench/run passes the checkout's ./mixtape)");
        }
        List<Launcher> launchers = new ArrayList<>();
        if (uncached) {
            launchers.add(new Launcher("mixtape, no start-up cache", launcher, false));
        }
        launchers.add(new Launcher("mixtape", launcher, true));
        if (baselineLauncher != null) {
            launchers.add(new Launcher("baseline mixtape (" + baselineLauncher + ")", baselineLauncher, true));
        }
        System.out.println(Host.describe() + " " + LocalDate.now() + ".");
        System.out.println("Whole-process wall time of greedy generation of " + tokens + " tokens from BOS, random weights, f32; "
                + "median of " + runs + " runs per cell, the programs taking turns.");
        System.out.println();
        System.out.println("| model shape | threads | program | wall s | first token s | tok/s over the whole run | generation tok/s | whole run vs run.c |");
        System.out.println("|---|---:|---|---:|---:|---:|---:|---:|");
        List<String[]> curves = new ArrayList<>();
        try (RandomLlama2cFiles files = new RandomLlama2cFiles(DecodeShape.VOCAB_SIZE)) {
            Llama2cBaseline baseline = llama2c == null ? null : new Llama2cBaseline(llama2c, files);
            for (DecodeShape shape : DecodeShape.ALL) {
                if (onlyShape != null && !onlyShape.equals(shape.key())) {
                    continue;
                }
                Path checkpoint = files.checkpoint(shape.key(), shape.config(), shape.config().maxPositions(), 1);
                for (int threads : new int[] {1, 2}) {
                    if (onlyThreads == 0 || onlyThreads == threads) {
                        printRows(shape, threads, runs, tokens, launchers, files.tokenizer(), checkpoint, baseline, curves);
                    }
                }
            }
        }
        System.out.println();
        System.out.println("first token s: from the process's start to the first generated token on standard output (the JVM's start, "
                + "the model's load and the first forward pass). generation tok/s: what the program reports for the tokens alone "
                + "(mixtape's --stats, run.c's \"achieved tok/s\", which leaves out the first token).");
        System.out.println();
        printCurves("Warm-up curve: the launcher's tok/s (wall clock) in each window of " + WINDOW + " tokens, from when "
                + "each token reached standard output (median over the runs; first token: seconds from the process's start; "
                + "the first window leaves the first token out).", curves, 0, tokens);
        printCurves("The same runs in the decoding threads' CPU time (main and the mixtape-vector workers, not the JIT "
                + "compiler or the collector): milliseconds per token in each window, steadier than wall time on a shared "
                + "machine.", curves, 1, tokens);
    }

    private static void printCurves(String caption, List<String[]> curves, int which, int tokens) {
        System.out.println();
        System.out.println(caption);
        System.out.println();
        StringBuilder header = new StringBuilder("| model shape | threads | program | first token s |");
        StringBuilder rule = new StringBuilder("|---|---:|---|---:|");
        for (int w = 0; w < tokens / WINDOW; w++) {
            header.append(' ').append(w * WINDOW + 1).append('–').append((w + 1) * WINDOW).append(" |");
            rule.append("---:|");
        }
        System.out.println(header);
        System.out.println(rule);
        curves.forEach(rows -> System.out.println(rows[which]));
    }

    /**
     * The two rows of the warm-up curves for one program: first-token time, then per window the wall
     * tok/s and the decoding threads' CPU ms per token, medians over the runs.
     */
    private static String[] curveRows(String cells, List<Timing> runs, int tokens) {
        String start = String.format(Locale.ROOT, "| %s | %.2f |", cells, median(runs, timing -> timing.clock().wallSeconds()[0]));
        StringBuilder wall = new StringBuilder(start);
        StringBuilder cpu = new StringBuilder(start);
        for (int w = 0; w < tokens / WINDOW; w++) {
            int from = Math.max(1, w * WINDOW);
            int to = (w + 1) * WINDOW;
            wall.append(String.format(Locale.ROOT, " %.0f |", median(runs, timing -> timing.clock().wallRate(from, to))));
            cpu.append(String.format(Locale.ROOT, " %.2f |", median(runs, timing -> timing.clock().cpuMillisPerToken(from, to))));
        }
        return new String[] {wall.toString(), cpu.toString()};
    }

    private static String required(String flag, String value) {
        if (value == null) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return value;
    }

    private static void printRows(DecodeShape shape, int threads, int runs, int tokens, List<Launcher> launchers, Path tokenizer,
                                  Path checkpoint, Llama2cBaseline baseline, List<String[]> curves) throws IOException, InterruptedException {
        List<String> generate = List.of("generate", "--model", checkpoint.toString(), "--tokenizer", tokenizer.toString(),
                "--max-new-tokens", Integer.toString(tokens), "--temperature", "0", "--stats");
        Map<String, List<Timing>> timings = new LinkedHashMap<>();
        for (Launcher launcher : launchers) {
            timings.put(launcher.name(), new ArrayList<>());
            if (launcher.cache()) {
                runMixtape(launcher, generate, threads, tokens);
            }
        }
        if (baseline != null) {
            timings.put("llama2.c run.c", new ArrayList<>());
        }
        for (int run = 0; run < runs; run++) {
            for (Launcher launcher : launchers) {
                timings.get(launcher.name()).add(runMixtape(launcher, generate, threads, tokens));
            }
            if (baseline != null) {
                Llama2cBaseline.Run result = baseline.run(checkpoint, threads, tokens);
                timings.get("llama2.c run.c").add(new Timing(result.wallSeconds(), result.achievedTokensPerSecond(), null));
            }
        }
        Double runCWall = baseline == null ? null : median(timings.get("llama2.c run.c"), Timing::wallSeconds);
        for (Map.Entry<String, List<Timing>> program : timings.entrySet()) {
            double wall = median(program.getValue(), Timing::wallSeconds);
            double generation = median(program.getValue(), Timing::generationTokensPerSecond);
            boolean clocked = program.getValue().getFirst().clock() != null;
            System.out.printf(Locale.ROOT, "| %s | %d | %s | %.2f | %s | %.1f | %.1f | %s |%n", shape.description(), threads,
                    program.getKey(), wall,
                    clocked ? String.format(Locale.ROOT, "%.2f", median(program.getValue(), timing -> timing.clock().wallSeconds()[0])) : "–",
                    tokens / wall, generation, runCWall == null ? "–" : String.format(Locale.ROOT, "%.2f×", runCWall / wall));
            if (clocked) {
                curves.add(curveRows(shape.description() + " | " + threads + " | " + program.getKey(), program.getValue(), tokens));
            }
        }
    }

    /** Runs {@code launcher} once with {@code arguments}, noting when each token arrives ({@link TokenClock}). */
    private static Timing runMixtape(Launcher launcher, List<String> arguments, int threads, int tokens)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(launcher.path().toString()));
        command.addAll(arguments);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("MIXTAPE_THREADS", Integer.toString(threads));
        builder.environment().put("MIXTAPE_AOT_CACHE", launcher.cache() ? "on" : "off");
        long start = System.nanoTime();
        Process process = builder.start();
        CompletableFuture<String> errorText = CompletableFuture.supplyAsync(() -> {
            try (InputStream stderr = process.getErrorStream()) {
                return new String(stderr.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        TokenClock clock;
        try (InputStream stdout = process.getInputStream()) {
            clock = TokenClock.read(process, stdout, start, tokens);
        }
        String errors = errorText.join();
        int exit = process.waitFor();
        double wallSeconds = (System.nanoTime() - start) / 1e9;
        Matcher rate = GENERATION_RATE.matcher(errors);
        if (exit != 0 || !rate.find()) {
            throw new IOException(String.join(" ", command) + " exited with " + exit + " without a stats line: " + errors.strip());
        }
        return new Timing(wallSeconds, Double.parseDouble(rate.group(1)), clock);
    }

    private static double median(List<Timing> timings, ToDoubleFunction<Timing> figure) {
        double[] values = timings.stream().mapToDouble(figure).toArray();
        Arrays.sort(values);
        return values[values.length / 2];
    }
}
