package dev.mixtape.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormat;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Prints f32 matmul GFLOP/s as a Markdown table: Mixtape's Vector backend, ND4J (its OpenBLAS 0.3.19),
 * a current OpenBLAS through numpy ({@link NumpyBaseline}, where bench/run's Python has it) and a
 * scalar triple loop, at 1 and 2 threads, over {@link MatmulGrid}. Each cell is one JMH fork (warm-up
 * 2×0.5 s, measurement 3×1 s) and shows its best measurement iteration: on a machine shared with
 * other work, the least disturbed second is the fairest figure for comparing implementations that ran
 * at different moments. Rows are printed as soon as they are measured. {@code --quick} runs
 * a subset. JMH's own report and the forks' output go to a log file named in the preamble, so that
 * standard output holds only the table. Before the grid, {@link AgreementCheck} makes sure the three
 * compute the same products and {@link ThreadCheck} shows how many cores each thread setting keeps busy.
 */
public final class MatmulTable {
    private static final int[] THREADS = {1, 2};

    private MatmulTable() {
    }

    /** Runs the grid ({@code --quick} for the subset) and prints the table to standard output. */
    public static void main(String[] args) throws RunnerException, IOException, InterruptedException {
        boolean quick = false;
        for (String arg : args) {
            if (arg.equals("--quick")) {
                quick = true;
            } else {
                System.err.println("usage: MatmulTable [--quick]   (unknown argument '" + arg + "')");
                System.exit(2);
            }
        }
        List<MatmulCase> cases = quick ? MatmulGrid.quick() : MatmulGrid.full();
        Path logFile = Files.createTempFile("mixtape-matmul-jmh-", ".log");
        printPreamble(logFile);
        Optional<NumpyBaseline> numpy = NumpyBaseline.find(Path.of(System.getProperty("mixtape.bench.numpy", "bench/python/matmul.py")));
        System.out.println();
        System.out.println("| shape | form | m×n×k | threads | vector GFLOP/s | nd4j GFLOP/s | numpy GFLOP/s | scalar GFLOP/s "
                + "| vector/nd4j | vector/numpy |");
        System.out.println("|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
        try (PrintStream log = new PrintStream(Files.newOutputStream(logFile), true, StandardCharsets.UTF_8)) {
            OutputFormat jmhOutput = OutputFormatFactory.createFormatInstance(log, VerboseMode.NORMAL);
            for (MatmulCase c : cases) {
                printRows(c, jmhOutput, numpy);
            }
        }
        System.out.println();
        System.out.println("nd4j: ND4J 1.0.0-M2.1's OpenBLAS 0.3.19. numpy: "
                + numpy.map(baseline -> baseline.library() + ", from " + BenchPython.origin()).orElse("not measured (see standard error)")
                + ", timed like the other cells.");
        System.out.println("scalar: one thread by design (n/a at 2 threads); skipped above "
                + String.format(Locale.ROOT, "%.0e", MatmulGrid.SCALAR_MAX_FLOPS) + " flops per product.");
    }

    private static void printPreamble(Path logFile) {
        System.out.println("f32 matmul, GFLOP/s = 2·m·n·k / time per product. JMH: 1 fork per cell, warm-up 2×0.5 s, "
                + "measurement 3×1 s, best iteration shown (JMH's means are in the log).");
        System.out.println(Host.describe() + " JMH log: " + logFile);
        System.out.println(AgreementCheck.run());
        for (String implementation : new String[] {"vector", "nd4j"}) {
            StringBuilder line = new StringBuilder("busy cores at 1024³ (CPU time / wall time), " + implementation + ":");
            for (int threads : THREADS) {
                line.append(String.format(Locale.ROOT, " %d thread(s) → %.2f;", threads,
                        ThreadCheck.busyCores(implementation, threads)));
            }
            System.out.println(line);
        }
    }

    /**
     * Measures {@code c} with every implementation (numpy right after the JMH cells, in a process of
     * its own per thread count) and prints its rows, one per thread count.
     */
    private static void printRows(MatmulCase c, OutputFormat jmhOutput, Optional<NumpyBaseline> numpy)
            throws RunnerException, IOException, InterruptedException {
        Map<String, Double> gflops = measure(c, new String[] {"vector", "nd4j"}, THREADS, jmhOutput);
        if (MatmulGrid.scalarFeasible(c)) {
            gflops.putAll(measure(c, new String[] {"scalar"}, new int[] {1}, jmhOutput));
        }
        if (numpy.isPresent()) {
            for (int threads : THREADS) {
                gflops.put(key("numpy", threads), numpy.get().gflops(c, threads));
            }
        }
        for (int threads : THREADS) {
            Double vector = gflops.get(key("vector", threads));
            Double nd4j = gflops.get(key("nd4j", threads));
            Double openBlas = gflops.get(key("numpy", threads));
            Double scalar = gflops.get(key("scalar", threads));
            String scalarCell = scalar != null ? format(scalar) : threads > 1 ? "n/a" : "skipped";
            System.out.printf(Locale.ROOT, "| %s | %s | %d×%d×%d | %d | %s | %s | %s | %s | %s | %s |%n",
                    c.shape(), c.form().formula(), c.m(), c.n(), c.k(), threads,
                    format(vector), format(nd4j), format(openBlas), scalarCell, ratio(vector, nd4j), ratio(vector, openBlas));
        }
    }

    /** GFLOP/s of {@code c} per implementation and thread count, keyed by {@link #key}. */
    private static Map<String, Double> measure(MatmulCase c, String[] implementations, int[] threads,
                                               OutputFormat jmhOutput) throws RunnerException {
        String[] threadValues = new String[threads.length];
        for (int i = 0; i < threads.length; i++) {
            threadValues[i] = Integer.toString(threads[i]);
        }
        Options options = new OptionsBuilder()
                .include(MatmulBenchmark.class.getName() + ".multiply")
                .param("matmulCase", c.id())
                .param("implementation", implementations)
                .param("threads", threadValues)
                .forks(1)
                .warmupIterations(2)
                .warmupTime(TimeValue.milliseconds(500))
                .measurementIterations(3)
                .measurementTime(TimeValue.seconds(1))
                .shouldFailOnError(true)
                .build();
        Map<String, Double> gflops = new HashMap<>();
        for (RunResult result : new Runner(options, jmhOutput).run()) {
            String implementation = result.getParams().getParam("implementation");
            int t = Integer.parseInt(result.getParams().getParam("threads"));
            double bestProductsPerSecond = result.getPrimaryResult().getStatistics().getMax();
            gflops.put(key(implementation, t), bestProductsPerSecond * c.flops() / 1e9);
        }
        return gflops;
    }

    private static String key(String implementation, int threads) {
        return implementation + "@" + threads;
    }

    private static String ratio(Double numerator, Double denominator) {
        return numerator == null || denominator == null ? "—"
                : String.format(Locale.ROOT, "%.2f×", numerator / denominator);
    }

    private static String format(Double gflops) {
        return gflops == null ? "—" : String.format(Locale.ROOT, "%.1f", gflops);
    }
}
