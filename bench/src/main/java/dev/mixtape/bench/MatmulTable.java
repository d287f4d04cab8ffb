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

/**
 * Prints f32 matmul GFLOP/s as a Markdown table: Mixtape's Vector backend, ND4J (OpenBLAS) and a
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
    public static void main(String[] args) throws RunnerException, IOException {
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
        System.out.println();
        System.out.println("| shape | form | m×n×k | threads | vector GFLOP/s | nd4j GFLOP/s | scalar GFLOP/s | vector/nd4j |");
        System.out.println("|---|---|---|---:|---:|---:|---:|---:|");
        try (PrintStream log = new PrintStream(Files.newOutputStream(logFile), true, StandardCharsets.UTF_8)) {
            OutputFormat jmhOutput = OutputFormatFactory.createFormatInstance(log, VerboseMode.NORMAL);
            for (MatmulCase c : cases) {
                printRows(c, jmhOutput);
            }
        }
        System.out.println();
        System.out.println("scalar: one thread by design (n/a at 2 threads); skipped above "
                + String.format(Locale.ROOT, "%.0e", MatmulGrid.SCALAR_MAX_FLOPS) + " flops per product.");
    }

    private static void printPreamble(Path logFile) {
        System.out.println("f32 matmul, GFLOP/s = 2·m·n·k / time per product. JMH: 1 fork per cell, warm-up 2×0.5 s, "
                + "measurement 3×1 s, best iteration shown (JMH's means are in the log).");
        System.out.println("JVM: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version")
                + ", " + Runtime.getRuntime().availableProcessors() + " CPUs. JMH log: " + logFile);
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

    /** Measures {@code c} with every implementation and prints its rows, one per thread count. */
    private static void printRows(MatmulCase c, OutputFormat jmhOutput) throws RunnerException {
        Map<String, Double> gflops = measure(c, new String[] {"vector", "nd4j"}, THREADS, jmhOutput);
        if (MatmulGrid.scalarFeasible(c)) {
            gflops.putAll(measure(c, new String[] {"scalar"}, new int[] {1}, jmhOutput));
        }
        for (int threads : THREADS) {
            Double vector = gflops.get(key("vector", threads));
            Double nd4j = gflops.get(key("nd4j", threads));
            Double scalar = gflops.get(key("scalar", threads));
            String scalarCell = scalar != null ? format(scalar) : threads > 1 ? "n/a" : "skipped";
            System.out.printf(Locale.ROOT, "| %s | %s | %d×%d×%d | %d | %s | %s | %s | %s |%n",
                    c.shape(), c.form().formula(), c.m(), c.n(), c.k(), threads,
                    format(vector), format(nd4j), scalarCell, ratio(vector, nd4j));
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
