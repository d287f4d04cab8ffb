package dev.mixtape.bench;

import dev.mixtape.engine.vector.VectorBackend;
import dev.mixtape.models.llama.HfWriter;
import dev.mixtape.models.llama.Llama;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * LoRA fine-tuning on a quantised base beside the f32 base, as a Markdown table: for each
 * {@link FinetuneShape}, a random-weight model is written once as an HF folder, then each case loads
 * it in its weight type ({@code Llama.load(folder, backend, dtype)}: Q8_0 and Q4_0 are quantised
 * matrix by matrix while loading, as {@code --weights} does) in a child JVM of its own
 * ({@link FinetuneRun}) and trains the same LoRA steps as {@code bench/run finetune}: tok/s, peak RSS,
 * and the weights' resident bytes; beside tok/s, tokens per CPU-second of the process (its threads,
 * the collector's included), which moves less when other work shares the machine. {@code --quick}
 * runs fewer steps.
 *
 * <p>A JVM fills the heap it is allowed before it collects, so with one -Xmx for all cases every peak
 * RSS would be that heap. Each case's heap is therefore sized to what the case needs, by the rule of
 * {@code bench/run finetune} ({@link FinetuneShape#heapMbFor}): a first, sizing run (one step, at the
 * shape's usual -Xmx) measures the live heap at the end of a forward pass in the case's weight type,
 * and the measured run gets that + 512 MB, rounded up to 256 MB.
 */
public final class QuantizedFinetuneTable {
    private static final List<String> WEIGHTS = List.of("f32", "q8_0", "q4_0");

    private QuantizedFinetuneTable() {
    }

    /** Runs every case ({@code --quick}: fewer steps) and prints the table to standard output. */
    public static void main(String[] args) throws IOException, InterruptedException {
        boolean quick = args.length == 1 && args[0].equals("--quick");
        if (args.length > 1 || args.length == 1 && !quick) {
            System.err.println("usage: QuantizedFinetuneTable [--quick]");
            System.exit(2);
        }
        System.out.println("LoRA r 8 on q,k,v,o,gate,up,down of a random-weight Llama loaded in each weight type (Vector backend); "
                + LocalDate.now() + ".");
        System.out.println(Host.describe() + " Load average at start: " + FinetuneTable.loadAverage() + ".");
        System.out.println("Each case's -Xmx is the live heap at the end of a forward pass, measured by a sizing run of one step, "
                + "+ 512 MB, rounded up to 256 MB (the rule of bench/run finetune).");
        System.out.println();
        System.out.println("| model shape | batch×seq | weights | weight MB | live after forward | -Xmx | steps | median step | CPU s | tok/s | ÷ f32 "
                + "| tok per CPU s | ÷ f32 | peak RSS | ÷ f32 RSS | load |");
        System.out.println("|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        Path models = Files.createTempDirectory("mixtape-quant-bench");
        try {
            for (FinetuneShape shape : FinetuneShape.ALL) {
                Path folder = models.resolve(shape.key());
                try (VectorBackend backend = new VectorBackend(1)) {
                    HfWriter.write(Llama.random(shape.config(), backend, 1), null, folder);
                }
                FinetuneSteps steps = FinetuneSteps.of(shape, "vector", quick);
                double f32PerSecond = Double.NaN;
                double f32PerCpuSecond = Double.NaN;
                double f32Rss = Double.NaN;
                for (String weights : WEIGHTS) {
                    List<String> model = List.of(weights, folder.toString());
                    long liveMb = forwardLiveMb(shape, model);
                    int heapMb = FinetuneShape.heapMbFor(liveMb);
                    Map<String, String> result = FinetuneTable.runChild(shape, "LoRA", "vector", steps, model, heapMb);
                    double perSecond = Double.parseDouble(result.get("tokens_per_s"));
                    double cpuSeconds = Double.parseDouble(result.get("median_cpu_s"));
                    double perCpuSecond = shape.tokensPerStep() / cpuSeconds;
                    double rss = Double.parseDouble(result.get("peak_rss_mb"));
                    if (weights.equals("f32")) {
                        f32PerSecond = perSecond;
                        f32PerCpuSecond = perCpuSecond;
                        f32Rss = rss;
                    }
                    System.out.printf(Locale.ROOT, "| %s | %d×%d | %s | %s | %d MB | %d MB | %d+%d | %s s | %.2f | %.0f | %.2f× | %.0f "
                                    + "| %.2f× | %.0f MB | %.2f× | %s |%n",
                            shape.key(), shape.batch(), shape.seq(), weights, result.get("weight_mb"), liveMb, heapMb,
                            steps.warmup(), steps.measured(), result.get("median_step_s"), cpuSeconds, perSecond,
                            perSecond / f32PerSecond, perCpuSecond, perCpuSecond / f32PerCpuSecond, rss, rss / f32Rss,
                            FinetuneTable.loadAverage());
                }
            }
        } finally {
            try (Stream<Path> files = Files.walk(models)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
        System.out.println();
        System.out.println("Load average at the end: " + FinetuneTable.loadAverage() + ".");
    }

    /** The sizing run of one case: one step at the shape's usual heap; returns its live heap at the end of a forward pass, in MB. */
    private static long forwardLiveMb(FinetuneShape shape, List<String> model) throws IOException, InterruptedException {
        Map<String, String> sizing = FinetuneTable.runChild(shape, "LoRA", "vector", new FinetuneSteps(0, 1), model, shape.heapMb("vector"));
        return Long.parseLong(sizing.get("forward_live_mb"));
    }
}
