package dev.mixtape.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Prints the fine-tuning benchmark as a Markdown table: training tokens per second and peak RSS of
 * LoRA and MoSLoRA on random-weight Llamas of the {@link FinetuneShape}s, on the ND4J backend and then
 * the Vector backend, beside PyTorch measured in the same run ({@link PytorchBaseline}, where bench/run's
 * Python has it). Each case runs in a child JVM of its own
 * ({@link FinetuneRun}) with this JVM's flags and the case's heap, so that each peak RSS belongs to one
 * case. Rows are printed as cases finish; the children's progress goes to standard error.
 * {@code --quick} runs fewer steps.
 */
public final class FinetuneTable {
    private static final List<String> ADAPTERS = List.of("LoRA", "MoSLoRA");
    private static final List<String> BACKENDS = List.of("nd4j", "vector");
    /** The row of the PyTorch baseline ({@link PytorchBaseline}), first in each case when it is available. */
    private static final String PYTORCH = "pytorch";

    private FinetuneTable() {
    }

    /** Runs every case ({@code --quick}: fewer steps) and prints the table to standard output. */
    public static void main(String[] args) throws IOException, InterruptedException {
        boolean quick = false;
        for (String arg : args) {
            if (arg.equals("--quick")) {
                quick = true;
            } else {
                System.err.println("usage: FinetuneTable [--quick]   (unknown argument '" + arg + "')");
                System.exit(2);
            }
        }
        System.out.println("Fine-tuning step (forward + cross-entropy + backward + global-norm clip 1.0 + AdamW on the adapter), "
                + "r 8, alpha 16, on q,k,v,o,gate,up,down of a random-weight Llama; " + LocalDate.now() + ".");
        System.out.println(Host.describe() + " Load average at start: " + loadAverage() + ".");
        System.out.println("tok/s = batch·seq / median step time over the measured steps (warm-up steps excluded); "
                + "cores busy = the child's CPU time / wall time over a median step (of " + Runtime.getRuntime().availableProcessors()
                + ", fewer when other work shares them); "
                + "peak RSS = the child JVM's VmHWM; load = 1-minute load average when the case ended; "
                + "-Xmx on the Vector backend = the live heap at the end of a forward pass (in brackets) + 512 MB, rounded up to 256 MB.");
        System.out.println();
        Optional<PytorchBaseline> pytorch = PytorchBaseline.find(Path.of(System.getProperty("mixtape.bench.pytorch", "bench/python/finetune.py")));
        System.out.println("| model shape | batch×seq | adapter | backend | -Xmx | steps | median step | cores busy | tok/s | peak RSS "
                + "| load | tok/s ÷ PyTorch | RSS ÷ PyTorch | vector ÷ nd4j tok/s |");
        System.out.println("|---|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (FinetuneShape shape : FinetuneShape.ALL) {
            for (String adapter : ADAPTERS) {
                Map<String, Double> tokensPerSecond = new HashMap<>();
                Map<String, Double> peakRss = new HashMap<>();
                List<String> backends = new ArrayList<>(BACKENDS);
                if (pytorch.isPresent()) {
                    backends.addFirst(PYTORCH);
                }
                for (String backend : backends) {
                    FinetuneSteps steps = FinetuneSteps.of(shape, backend, quick);
                    Map<String, String> result = backend.equals(PYTORCH)
                            ? pytorch.get().run(shape, adapter, steps) : runChild(shape, adapter, backend, steps);
                    double perSecond = Double.parseDouble(result.get("tokens_per_s"));
                    double rssMb = Double.parseDouble(result.get("peak_rss_mb"));
                    tokensPerSecond.put(backend, perSecond);
                    peakRss.put(backend, rssMb);
                    double stepSeconds = Double.parseDouble(result.get("median_step_s"));
                    double cpuSeconds = Double.parseDouble(result.get("median_cpu_s"));
                    boolean measuredPytorch = tokensPerSecond.containsKey(PYTORCH) && !backend.equals(PYTORCH);
                    System.out.printf(Locale.ROOT, "| %s (%s) | %d×%d | %s | %s | %s | %d+%d | %.3f s | %.2f | %.0f | %.0f MB | %s "
                                    + "| %s | %s | %s |%n",
                            shape.key(), shape.description(), shape.batch(), shape.seq(), adapter, backend,
                            heapCell(shape, backend, result), steps.warmup(), steps.measured(), stepSeconds,
                            cpuSeconds / stepSeconds, perSecond, rssMb, loadAverage(),
                            measuredPytorch ? ratio(perSecond, tokensPerSecond.get(PYTORCH)) : "",
                            measuredPytorch ? ratio(rssMb, peakRss.get(PYTORCH)) : "",
                            backend.equals("vector") ? ratio(perSecond, tokensPerSecond.get("nd4j")) : "");
                }
            }
        }
        System.out.println();
        System.out.println(pytorch.map(baseline -> "PyTorch: torch " + baseline.torchVersion() + " (" + baseline.blas() + ") from "
                        + BenchPython.origin() + ", running bench/python/finetune.py (the same step, full logits then "
                        + "F.cross_entropy), 2 threads, in this run.")
                .orElse("PyTorch: not measured (see the message on standard error)."));
        System.out.println("steps = warm-up + measured. Load average at the end: " + loadAverage() + ".");
    }

    /** The case's -Xmx and, on the Vector backend, the live heap at the end of a forward pass it is sized from ({@link FinetuneShape}). */
    private static String heapCell(FinetuneShape shape, String backend, Map<String, String> result) {
        if (backend.equals(PYTORCH)) {
            return "–";
        }
        String live = result.getOrDefault("forward_live_mb", "-1");
        return shape.heapMb(backend) + " MB" + (live.equals("-1") ? "" : " (" + live + " MB live)");
    }

    private static String ratio(double value, double baseline) {
        return String.format(Locale.ROOT, "%.2f×", value / baseline);
    }

    /** Runs one case in a child JVM and returns its result line's {@code key=value} pairs. */
    private static Map<String, String> runChild(FinetuneShape shape, String adapter, String backend, FinetuneSteps steps)
            throws IOException, InterruptedException {
        return runChild(shape, adapter, backend, steps, List.of());
    }

    /**
     * {@link #runChild(FinetuneShape, String, String, FinetuneSteps)} with {@code extra} arguments
     * for {@link FinetuneRun} (a weight type and a model folder).
     */
    static Map<String, String> runChild(FinetuneShape shape, String adapter, String backend, FinetuneSteps steps, List<String> extra)
            throws IOException, InterruptedException {
        return runChild(shape, adapter, backend, steps, extra, shape.heapMb(backend));
    }

    /**
     * {@link #runChild(FinetuneShape, String, String, FinetuneSteps, List)} in a JVM with {@code -Xmx}
     * {@code heapMb} ({@link QuantizedFinetuneTable} sizes it per weight type).
     */
    static Map<String, String> runChild(FinetuneShape shape, String adapter, String backend, FinetuneSteps steps, List<String> extra,
                                        int heapMb) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!flag.startsWith("-Xmx") && !flag.startsWith("-Xms") && !flag.startsWith("-Dmixtape.backend=")) {
                command.add(flag);
            }
        }
        command.add("-Xmx" + heapMb + "m");
        command.add("-Dmixtape.backend=" + backend);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(FinetuneRun.class.getName());
        command.add(shape.key());
        command.add(adapter);
        command.add(Integer.toString(steps.warmup()));
        command.add(Integer.toString(steps.measured()));
        command.addAll(extra);
        System.err.printf(Locale.ROOT, "%s %s %s: starting a JVM with -Xmx%dm (load %s)%n", shape.key(), adapter, backend,
                heapMb, loadAverage());
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                lines.add(line);
            }
        }
        int status = child.waitFor();
        if (status != 0 || lines.isEmpty()) {
            throw new IllegalStateException(shape.key() + " " + adapter + " " + backend + ": the child JVM exited with status "
                    + status + " (its error output is above)");
        }
        Map<String, String> result = new HashMap<>();
        for (String pair : lines.getLast().split(" ")) {
            int eq = pair.indexOf('=');
            result.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return result;
    }

    /** The 1-minute load average from {@code /proc/loadavg}, or "n/a". */
    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "n/a";
        }
    }
}
