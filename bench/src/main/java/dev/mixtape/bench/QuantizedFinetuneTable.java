package dev.mixtape.bench;

import dev.mixtape.engine.vector.VectorBackend;
import dev.mixtape.models.llama.HfWriter;
import dev.mixtape.models.llama.Llama;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * LoRA fine-tuning on a quantised base beside the f32 base, each with and without activation
 * checkpointing ({@code Llama.checkpointLayers}), as a Markdown table: for each {@link FinetuneShape},
 * a random-weight model is written once as an HF folder, then each case loads it in its weight type
 * ({@code Llama.load(folder, backend, dtype)}: Q8_0 and Q4_0 are quantised matrix by matrix while
 * loading, as {@code --weights} does) in a child JVM of its own ({@link FinetuneRun}) and trains the
 * same LoRA steps as {@code bench/run finetune}: tok/s, peak RSS, the collectors' time, and the weights'
 * resident bytes; beside tok/s, tokens per CPU-second of the process (its threads, the collector's
 * included), which moves less when other work shares the machine. Each case is compared with the f32
 * case of the same layer setting; a last line compares Q4_0 with checkpointing against f32 without.
 * The two settings of a weight type run one after the other, so they see about the same load.
 *
 * <p>A JVM fills the heap it is allowed before it collects, so with one -Xmx for all cases every peak
 * RSS would be that heap. Each case's heap is therefore sized to what the case needs, by one rule for
 * all ({@link FinetuneShape#heapMbFor}): a first, sizing run (one step, at the shape's usual -Xmx)
 * samples the live heap through the step ({@link PeakLiveHeap}) in the case's weight type and layer
 * setting, and the measured run gets its peak × 1.25, rounded up to 32 MB (a G1 region). The room is
 * proportional to what each case's step holds at its fullest, so no case gets room it does not use
 * and the f32 base runs in the heap it needs, no more. (Before, each case got the live heap at the end
 * of a forward pass + a fixed 512 MB: most of a small case's heap was that room, which decided the
 * ratios between cases.) The table shows the live heap after the forward pass and the step's peak
 * beside the -Xmx.
 *
 * <p>A case whose run fails (out of memory at the rule's heap) gets a row saying so, and the
 * table goes on. Options: {@code --quick} runs fewer steps; {@code --shape KEY} runs one shape;
 * {@code --heap-factor F} puts another factor than 1.25 over the peak, to see what the rule's room
 * costs in collector time and tok/s.
 */
public final class QuantizedFinetuneTable {
    private static final List<String> WEIGHTS = List.of("f32", "q8_0", "q4_0");

    private QuantizedFinetuneTable() {
    }

    /** Runs every case and prints the table to standard output. */
    public static void main(String[] args) throws IOException, InterruptedException {
        boolean quick = false;
        List<FinetuneShape> shapes = FinetuneShape.ALL;
        double heapFactor = FinetuneShape.HEAP_FACTOR;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--shape" -> shapes = List.of(FinetuneShape.named(value(args, ++i)));
                case "--heap-factor" -> heapFactor = Double.parseDouble(value(args, ++i));
                default -> usage();
            }
        }
        System.out.println("LoRA r 8 on q,k,v,o,gate,up,down of a random-weight Llama loaded in each weight type (Vector backend), "
                + "each decoder layer's activations kept for the backward pass or checkpointed (recomputed in it); " + LocalDate.now() + ".");
        System.out.println(Host.describe() + " Load average at start: " + FinetuneTable.loadAverage() + ".");
        System.out.println(String.format(Locale.ROOT, "Each case's -Xmx is the peak live heap of a training step, sampled in a sizing run of one step, "
                + "× %.2f, rounded up to %d MB%s. ÷ f32: against the f32 case of the same layers.", heapFactor, FinetuneShape.HEAP_REGION_MB,
                heapFactor == FinetuneShape.HEAP_FACTOR ? "" : String.format(Locale.ROOT, " (the rule's factor is %.2f)", FinetuneShape.HEAP_FACTOR)));
        System.out.println();
        System.out.println("| model shape | batch×seq | weights | layers | weight MB | live after forward | step's peak live | -Xmx | steps | median step | CPU s "
                + "| GC s/step | tok/s | ÷ f32 | tok per CPU s | ÷ f32 | peak RSS | ÷ f32 RSS | load |");
        System.out.println("|---|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        List<String> comparisons = new ArrayList<>();
        Path models = Files.createTempDirectory("mixtape-quant-bench");
        try {
            for (FinetuneShape shape : shapes) {
                Path folder = models.resolve(shape.key());
                try (VectorBackend backend = new VectorBackend(1)) {
                    HfWriter.write(Llama.random(shape.config(), backend, 1), null, folder);
                }
                FinetuneSteps steps = FinetuneSteps.of(shape, "vector", quick);
                Map<String, Case> f32 = new HashMap<>();
                Case q4Checkpointed = null;
                for (String weights : WEIGHTS) {
                    for (boolean checkpoint : List.of(false, true)) {
                        List<String> model = new ArrayList<>(List.of(weights, folder.toString()));
                        if (checkpoint) {
                            model.add(FinetuneRun.CHECKPOINT_LAYERS);
                        }
                        Map<String, String> sizing = sizingRun(shape, model);
                        long liveMb = Long.parseLong(sizing.get("forward_live_mb"));
                        long peakMb = Long.parseLong(sizing.get("peak_live_mb"));
                        int heapMb = FinetuneShape.heapMbFor(peakMb, heapFactor);
                        String layers = checkpoint ? "checkpointed" : "kept";
                        Map<String, String> result;
                        try {
                            result = FinetuneTable.runChild(shape, "LoRA", "vector", steps, model, heapMb);
                        } catch (IllegalStateException failed) {
                            System.out.printf(Locale.ROOT, "| %s | %d×%d | %s | %s | | %d MB | %d MB | %d MB | the run failed at this heap "
                                            + "(its error output is on standard error) |||||||||| %s |%n",
                                    shape.key(), shape.batch(), shape.seq(), weights, layers, liveMb, peakMb, heapMb, FinetuneTable.loadAverage());
                            continue;
                        }
                        Case measured = new Case(Double.parseDouble(result.get("tokens_per_s")),
                                shape.tokensPerStep() / Double.parseDouble(result.get("median_cpu_s")), Double.parseDouble(result.get("peak_rss_mb")));
                        if (weights.equals("f32")) {
                            f32.put(layers, measured);
                        }
                        if (weights.equals("q4_0") && checkpoint) {
                            q4Checkpointed = measured;
                        }
                        Case base = f32.getOrDefault(layers, new Case(Double.NaN, Double.NaN, Double.NaN));
                        System.out.printf(Locale.ROOT, "| %s | %d×%d | %s | %s | %s | %d MB | %d MB | %d MB | %d+%d | %s s | %s | %s | %.0f | %.2f× | %.0f "
                                        + "| %.2f× | %.0f MB | %.2f× | %s |%n",
                                shape.key(), shape.batch(), shape.seq(), weights, layers, result.get("weight_mb"), liveMb, peakMb, heapMb,
                                steps.warmup(), steps.measured(), result.get("median_step_s"), result.get("median_cpu_s"), result.get("gc_s_per_step"),
                                measured.perSecond(), measured.perSecond() / base.perSecond(), measured.perCpuSecond(),
                                measured.perCpuSecond() / base.perCpuSecond(), measured.rssMb(), measured.rssMb() / base.rssMb(),
                                FinetuneTable.loadAverage());
                    }
                }
                Case f32Kept = f32.get("kept");
                if (f32Kept == null || q4Checkpointed == null) {
                    continue;
                }
                comparisons.add(String.format(Locale.ROOT, "%s: q4_0 checkpointed against f32 kept (the default): peak RSS %.2f×, "
                                + "tok/s %.2f×, tok per CPU s %.2f×.", shape.key(), q4Checkpointed.rssMb() / f32Kept.rssMb(),
                        q4Checkpointed.perSecond() / f32Kept.perSecond(), q4Checkpointed.perCpuSecond() / f32Kept.perCpuSecond()));
            }
        } finally {
            try (Stream<Path> files = Files.walk(models)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
        System.out.println();
        comparisons.forEach(System.out::println);
        System.out.println("Load average at the end: " + FinetuneTable.loadAverage() + ".");
    }

    /** One case's figures, for the ratios. */
    private record Case(double perSecond, double perCpuSecond, double rssMb) {
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            usage();
        }
        return args[i];
    }

    private static void usage() {
        System.err.println("usage: QuantizedFinetuneTable [--quick] [--shape stories15M|SmolLM2-135M] [--heap-factor F]");
        System.exit(2);
    }

    /**
     * The sizing run of one case: one step at the shape's usual heap with its live heap sampled; its results,
     * with the live heap at the end of a forward pass ({@code forward_live_mb}) and the step's peak
     * ({@code peak_live_mb}), in MB.
     */
    private static Map<String, String> sizingRun(FinetuneShape shape, List<String> model) throws IOException, InterruptedException {
        List<String> sampled = new ArrayList<>(model);
        sampled.add(FinetuneRun.PEAK_LIVE);
        return FinetuneTable.runChild(shape, "LoRA", "vector", new FinetuneSteps(0, 1), sampled, shape.heapMb("vector"));
    }
}
