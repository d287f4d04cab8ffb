package dev.mixtape.bench;

import dev.mixtape.engine.DType;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.vector.VectorBackend;
import dev.mixtape.models.generate.Sampler;
import dev.mixtape.models.llama.Llama;

import com.sun.management.OperatingSystemMXBean;

import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Token-by-token decoding speed of random-weight Llamas at the shapes of stories15M and stories110M
 * (llama2.c's tinyllamas), on the Vector backend with 1 and 2 threads, weights in f32 and kept in
 * bf16, Q8_0 and Q4_0 (quantised from the f32 weights, {@link Llama#keepWeightsIn}): greedy decoding
 * from BOS over a KV cache, once the JIT has settled ({@link #warmUp}), the median of
 * {@link #MEASURED_RUNS} runs. Beside each figure: the bytes of weights one token streams, and the
 * ceiling that the machine's memory bandwidth (measured by {@link MemoryBandwidth} in this process
 * just before the row, with the row's thread count) puts on tokens per second; with {@code --llama2c}, llama2.c's {@code run.c} timed on the same shape and threads
 * ({@link Llama2cBaseline}); and the process's CPU milliseconds per token, the figure to compare between
 * builds on a host that other work shares. Prints a Markdown table.
 */
public final class DecodeTable {
    /** Warm-up runs stop once one is within this fraction of the one before... */
    private static final double SETTLED = 0.03;
    /** ...and the JIT compiled for less than this many milliseconds during it. */
    private static final long QUIET_JIT_MS = 20;
    /** At most this many warm-up runs per row. */
    private static final int MAX_WARM_UP_RUNS = 20;
    /**
     * Runs measured per row, after the warm-up; the row gives the median's figures. One run in ten
     * or so goes at three quarters of the others' speed even then (a recompilation, a collection).
     */
    private static final int MEASURED_RUNS = 3;
    private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();
    /** run.c runs per baseline figure (their median). */
    private static final int BASELINE_REPEATS = 3;
    private static final OperatingSystemMXBean PROCESS = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private DecodeTable() {
    }

    /**
     * Runs the table; {@code --quick} decodes fewer tokens, {@code --llama2c PATH} times llama2.c's
     * {@code run} binary at PATH on the f32 rows' shapes and thread counts ({@link Llama2cBaseline});
     * {@code --shape KEY}, {@code --weights LIST} and {@code --threads LIST} narrow the table to some of
     * its rows (for example {@code --shape stories15M --weights f32 --threads 2}).
     */
    public static void main(String[] args) throws IOException, InterruptedException {
        boolean quick = false;
        Path llama2c = null;
        List<DecodeShape> shapes = DecodeShape.ALL;
        List<DType> weightTypes = List.of(DType.F32, DType.BF16, DType.Q8_0, DType.Q4_0);
        int[] threadCounts = {1, 2};
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--llama2c" -> llama2c = Path.of(value(args, i++));
                case "--shape" -> shapes = List.of(DecodeShape.named(value(args, i++)));
                case "--weights" -> weightTypes = Arrays.stream(value(args, i++).split(","))
                        .map(name -> weightType(name.strip())).toList();
                case "--threads" -> threadCounts = Arrays.stream(value(args, i++).split(","))
                        .mapToInt(count -> threadCount(count.strip())).toArray();
                default -> throw new IllegalArgumentException("unknown argument '" + args[i]
                        + "' (expected --quick, --llama2c PATH, --shape KEY, --weights LIST, --threads LIST)");
            }
        }
        int tokens = quick ? 64 : 256;
        try (RandomLlama2cFiles files = new RandomLlama2cFiles(DecodeShape.VOCAB_SIZE)) {
            Llama2cBaseline baseline = llama2c == null ? null : new Llama2cBaseline(llama2c, files);
            System.out.println(Host.describe() + " " + LocalDate.now() + ".");
            System.out.println();
            System.out.println("| model shape | weights | threads | warm-up runs | tokens | weight MB per token | read GB/s "
                    + "| bandwidth ceiling tok/s | gen tok/s | of ceiling | CPU ms per token | llama2.c run.c tok/s |");
            System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            for (DecodeShape shape : shapes) {
                Path checkpoint = baseline == null ? null
                        : files.checkpoint(shape.key(), shape.config(), shape.config().maxPositions(), 1);
                for (DType weights : weightTypes) {
                    for (int threads : threadCounts) {
                        printRow(shape, weights, threads, tokens, weights == DType.F32 ? baseline : null, checkpoint);
                    }
                }
            }
        }
    }

    /** The value after option {@code args[i]}. */
    private static String value(String[] args, int i) {
        if (i + 1 == args.length) {
            throw new IllegalArgumentException(args[i] + " needs a value");
        }
        return args[i + 1];
    }

    /** A weight type the table has rows for, by its lower-case name. */
    private static DType weightType(String name) {
        for (DType type : new DType[] {DType.F32, DType.BF16, DType.Q8_0, DType.Q4_0}) {
            if (type.name().equalsIgnoreCase(name)) {
                return type;
            }
        }
        throw new IllegalArgumentException("--weights: unknown weight type '" + name + "' (expected f32, bf16, q8_0, q4_0)");
    }

    /** A thread count of at least one. */
    private static int threadCount(String text) {
        int count;
        try {
            count = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            count = 0;
        }
        if (count < 1) {
            throw new IllegalArgumentException("--threads: '" + text + "' is not a thread count of at least 1");
        }
        return count;
    }

    /** Measures and prints one row; with a baseline, times run.c on {@code checkpoint} right after. */
    private static void printRow(DecodeShape shape, DType weights, int threads, int tokens, Llama2cBaseline baseline, Path checkpoint)
            throws IOException, InterruptedException {
        double bandwidth = MemoryBandwidth.gbPerSecond(threads);
        double megabytes;
        int warmUpRuns;
        Rate rate;
        try (VectorBackend backend = new VectorBackend(threads)) {
            Llama llama = Llama.random(shape.config(), backend, 1);
            llama.keepWeightsIn(weights);
            megabytes = streamedBytes(llama) / 1e6;
            warmUpRuns = warmUp(llama, tokens);
            rate = medianOf(llama, tokens);
        }
        double ceiling = bandwidth * 1e3 / megabytes;
        String runC = baseline == null ? "–"
                : String.format(Locale.ROOT, "%.1f", baseline.tokensPerSecond(checkpoint, threads, tokens, BASELINE_REPEATS));
        System.out.printf(Locale.ROOT, "| %s | %s | %d | %d | %d | %.1f | %.1f | %.0f | %.1f | %.0f%% | %.2f | %s |%n", shape.description(),
                weights.name().toLowerCase(Locale.ROOT), threads, warmUpRuns, tokens, megabytes, bandwidth, ceiling,
                rate.tokensPerSecond(), 100 * rate.tokensPerSecond() / ceiling, rate.cpuMillisPerToken(), runC);
    }

    /**
     * Bytes of weights one decoded token reads: every matrix once (the tied embedding as the output
     * head; its lookup reads one row), the norms. The KV cache adds a few hundred KB at most here.
     */
    private static long streamedBytes(Llama llama) {
        long bytes = 0;
        for (Tensor weight : llama.parameters()) {
            bytes += weight.dtype().storageBytes(weight.numel());
        }
        return bytes;
    }

    /**
     * Decodes runs of {@code tokens} tokens until one is within {@link #SETTLED} of the run before
     * and the JIT was quiet during it (at most {@link #MAX_WARM_UP_RUNS}); returns the number of runs.
     * The JVM takes its time here: on two threads the stories15M shape's second to fourth runs of 256
     * tokens went at 65–80% of the speed of the later ones. Two runs alike are not enough on their own:
     * when a new model's first products deoptimised the matrix product's dispatch, two runs at its
     * profiling tier agreed, and the row measured 275 tok/s where the tier-4 code gives 420.
     */
    private static int warmUp(Llama llama, int tokens) {
        double previous = decode(llama, tokens).tokensPerSecond();
        int runs = 1;
        while (runs < MAX_WARM_UP_RUNS) {
            long compiledBefore = JIT.getTotalCompilationTime();
            double rate = decode(llama, tokens).tokensPerSecond();
            runs++;
            boolean quiet = JIT.getTotalCompilationTime() - compiledBefore < QUIET_JIT_MS;
            if (quiet && Math.abs(rate - previous) <= SETTLED * previous) {
                break;
            }
            previous = rate;
        }
        return runs;
    }

    /** The run of median speed among {@link #MEASURED_RUNS} runs of {@code tokens} tokens. */
    private static Rate medianOf(Llama llama, int tokens) {
        List<Rate> runs = new ArrayList<>();
        for (int run = 0; run < MEASURED_RUNS; run++) {
            runs.add(decode(llama, tokens));
        }
        runs.sort(Comparator.comparingDouble(Rate::tokensPerSecond));
        return runs.get(MEASURED_RUNS / 2);
    }

    /**
     * Decodes {@code tokens} tokens greedily from BOS; returns tokens per second and the process's CPU
     * time per token, which another process sharing the cores slows less than the wall clock (a
     * spinning worker's wait counts as CPU).
     */
    private static Rate decode(Llama llama, int tokens) {
        Llama.Session session = llama.newSession(tokens + 1);
        int token = llama.config().bosId();
        long cpuStart = PROCESS.getProcessCpuTime();
        long start = System.nanoTime();
        for (int i = 0; i < tokens; i++) {
            token = Sampler.argmax(session.forward(token));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Rate(tokens / seconds, (PROCESS.getProcessCpuTime() - cpuStart) / 1e6 / tokens);
    }

    /** One run's tokens per second (wall clock) and CPU milliseconds per token (all the process's threads). */
    private record Rate(double tokensPerSecond, double cpuMillisPerToken) {
    }
}
