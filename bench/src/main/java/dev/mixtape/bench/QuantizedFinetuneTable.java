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
 * and the weights' resident bytes. {@code --quick} runs fewer steps.
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
        System.out.println();
        System.out.println("| model shape | batch×seq | weights | weight MB | -Xmx | steps | median step | tok/s | ÷ f32 tok/s | peak RSS "
                + "| ÷ f32 RSS | load |");
        System.out.println("|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|");
        Path models = Files.createTempDirectory("mixtape-quant-bench");
        try {
            for (FinetuneShape shape : FinetuneShape.ALL) {
                Path folder = models.resolve(shape.key());
                try (VectorBackend backend = new VectorBackend(1)) {
                    HfWriter.write(Llama.random(shape.config(), backend, 1), null, folder);
                }
                FinetuneSteps steps = FinetuneSteps.of(shape, "vector", quick);
                double f32PerSecond = Double.NaN;
                double f32Rss = Double.NaN;
                for (String weights : WEIGHTS) {
                    Map<String, String> result = FinetuneTable.runChild(shape, "LoRA", "vector", steps, List.of(weights, folder.toString()));
                    double perSecond = Double.parseDouble(result.get("tokens_per_s"));
                    double rss = Double.parseDouble(result.get("peak_rss_mb"));
                    if (weights.equals("f32")) {
                        f32PerSecond = perSecond;
                        f32Rss = rss;
                    }
                    System.out.printf(Locale.ROOT, "| %s | %d×%d | %s | %s | %d MB | %d+%d | %s s | %.0f | %.2f× | %.0f MB | %.2f× | %s |%n",
                            shape.key(), shape.batch(), shape.seq(), weights, result.get("weight_mb"), shape.heapMb("vector"),
                            steps.warmup(), steps.measured(), result.get("median_step_s"), perSecond, perSecond / f32PerSecond, rss,
                            rss / f32Rss, FinetuneTable.loadAverage());
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
}
