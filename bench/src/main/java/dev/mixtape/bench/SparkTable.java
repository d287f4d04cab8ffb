package dev.mixtape.bench;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.LoraConfig;
import dev.mixtape.adapters.TargetModules;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.Rng;
import dev.mixtape.models.llama.HfWriter;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.tokenizer.Tokenizers;
import dev.mixtape.models.train.DataRecord;
import dev.mixtape.models.train.Dataset;
import dev.mixtape.models.train.FineTuning;
import dev.mixtape.models.train.InitialWeights;
import dev.mixtape.models.train.SpecialIds;
import dev.mixtape.models.train.StepMetrics;
import dev.mixtape.models.train.TrainingCallback;
import dev.mixtape.models.train.TrainingConfig;
import dev.mixtape.models.train.TrainingJob;
import dev.mixtape.spark.BaseModel;
import dev.mixtape.spark.SparkApplication;
import dev.mixtape.spark.SparkFineTuning;
import dev.mixtape.testdata.Bundled;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Prints the Spark benchmark as a Markdown table: fine-tuning steps of the single-process trainer
 * beside the same steps with their gradients computed on Spark ({@code local[1]}, {@code local[2]},
 * and a standalone cluster when {@code --master spark://...} is given), for the bundled tiny model and
 * a random-weight stories15M shape, batch 8 × 256, LoRA r 8 on all seven projections. Each Spark step
 * is split by Spark's own listener events ({@link SparkStepTimes}) into the slowest task's run time
 * (the compute) and the rest, the per-step overhead: scheduling, task and result (de)serialisation and
 * transfer (the job's wall time less its slowest task's run), and the driver's part (broadcast, split,
 * summing the gradients, clipping, AdamW: the step's wall time less the job's).
 * {@code --quick} runs fewer steps.
 */
public final class SparkTable {
    private static final List<String> PROJECTIONS = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
    private static final int BATCH = 8;

    private SparkTable() {
    }

    /** A model to train and its data. */
    private record Workload(String name, Path model, Tokenizer tokenizer, int seq, Dataset data) {
    }

    /** One run's measured steps: their median wall time and, on Spark, where it went. */
    private record Measured(double stepSeconds, double computeSeconds, double transferSeconds, double driverSeconds, long resultBytes) {
    }

    /** Runs every case and prints the table; {@code --quick}: fewer steps; {@code --master URL}: also a cluster at URL. */
    public static void main(String[] args) throws IOException {
        boolean quick = false;
        String cluster = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--quick")) {
                quick = true;
            } else if (args[i].equals("--master") && i + 1 < args.length) {
                cluster = args[++i];
            } else {
                System.err.println("usage: SparkTable [--quick] [--master spark://HOST:PORT]   (unknown argument '" + args[i] + "')");
                System.exit(2);
            }
        }
        int warmup = quick ? 2 : 3;
        int measured = quick ? 4 : 8;
        System.out.println("Fine-tuning steps on Spark beside the single-process trainer: LoRA r 8 on q,k,v,o,gate,up,down, batch "
                + BATCH + " per micro-batch, the step's micro-batches one per partition; " + LocalDate.now() + ".");
        System.out.println(Host.describe());
        System.out.println("step = median wall time of " + measured + " steps after " + warmup + " warm-up steps; compute = the "
                + "slowest task's run time; transfer = job time less that (scheduling, task and result (de)serialisation); "
                + "driver = step less job time (broadcast, summing the gradients, clipping, AdamW); overhead = step − compute. "
                + "Each model first trains a few untimed steps, so that the JIT has compiled the step before the first timed case.");
        System.out.println();
        System.out.println("| model | run | micro-batches | step | tok/s | compute | transfer | driver | overhead | overhead ÷ step | "
                + "result bytes/step |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Workload workload : List.of(tiny(), stories15M())) {
            single(workload, 1, warmup, 1);
            for (int partitions : new int[]{1, 2}) {
                row(workload, "single process", partitions, single(workload, partitions, warmup, measured));
                String master = "local[" + partitions + "]";
                row(workload, master, partitions, onSpark(workload, master, partitions, warmup, measured));
            }
            if (cluster != null) {
                row(workload, cluster, 2, onSpark(workload, cluster, 2, warmup, measured));
            }
        }
    }

    private static void row(Workload workload, String run, int microBatches, Measured m) {
        long tokens = (long) BATCH * workload.seq() * microBatches;
        if (Double.isNaN(m.computeSeconds())) {
            System.out.printf(Locale.ROOT, "| %s | %s | %d | %.3f s | %.0f | | | | | | |%n", workload.name(), run, microBatches,
                    m.stepSeconds(), tokens / m.stepSeconds());
            return;
        }
        double overhead = m.stepSeconds() - m.computeSeconds();
        System.out.printf(Locale.ROOT, "| %s | %s | %d | %.3f s | %.0f | %.3f s | %.3f s | %.3f s | %.3f s | %.1f%% | %,d |%n",
                workload.name(), run, microBatches, m.stepSeconds(), tokens / m.stepSeconds(), m.computeSeconds(), m.transferSeconds(),
                m.driverSeconds(), overhead, 100 * overhead / m.stepSeconds(), m.resultBytes());
    }

    private static Measured single(Workload workload, int microBatches, int warmup, int measured) throws IOException {
        Llama llama = BaseModel.at(workload.model()).load();
        List<Double> steps = train(FineTuning.of(llama, adapter(llama), workload.tokenizer()), workload, microBatches, warmup, measured);
        return new Measured(median(steps), Double.NaN, Double.NaN, Double.NaN, 0);
    }

    private static Measured onSpark(Workload workload, String master, int microBatches, int warmup, int measured) throws IOException {
        SparkStepTimes times = new SparkStepTimes();
        List<Double> steps;
        try (JavaSparkContext spark = new JavaSparkContext(new SparkConf().setMaster(master).setAppName("mixtape spark benchmark")
                .set("spark.ui.enabled", "false").setIfMissing("spark.executor.memory", "2g")
                .setIfMissing("spark.executor.extraJavaOptions", SparkApplication.EXECUTOR_JVM_FLAGS))) {
            spark.setLogLevel("WARN");
            spark.sc().addSparkListener(times);
            BaseModel base = BaseModel.at(workload.model());
            Llama llama = base.load();
            steps = train(SparkFineTuning.of(spark, base, llama, adapter(llama), workload.tokenizer()), workload, microBatches, warmup, measured);
        }
        List<SparkStepTimes.Job> jobs = times.jobs();
        List<SparkStepTimes.Job> timed = jobs.subList(jobs.size() - measured, jobs.size());
        double[] compute = new double[measured];
        double[] transfer = new double[measured];
        double[] driver = new double[measured];
        long bytes = 0;
        for (int i = 0; i < measured; i++) {
            SparkStepTimes.Job job = timed.get(i);
            compute[i] = job.slowestRunSeconds();
            transfer[i] = job.wallSeconds() - job.slowestRunSeconds();
            driver[i] = steps.get(i) - job.wallSeconds();
            bytes += job.resultBytes();
        }
        return new Measured(median(steps), median(compute), median(transfer), median(driver), bytes / measured);
    }

    /** Runs {@code job} for warm-up and measured steps; returns the measured steps' wall times, in order. */
    private static List<Double> train(TrainingJob job, Workload workload, int microBatches, int warmup, int measured) throws IOException {
        List<Double> seconds = new ArrayList<>();
        Path folder = Files.createTempDirectory("mixtape-spark-bench");
        int steps = warmup + measured;
        job.data(workload.data(), null)
                .config(TrainingConfig.builder(steps).batchSize(BATCH).gradientAccumulation(microBatches).saveEvery(steps).seed(1).build())
                .callback(new TrainingCallback() {
                    @Override
                    public void onStep(StepMetrics metrics) {
                        System.err.printf(Locale.ROOT, "spark bench: %s step %d/%d loss %.4f %.0f tok/s%n", workload.name(), metrics.step(), steps,
                                metrics.loss(), metrics.tokensPerSecond());
                        if (metrics.step() > warmup) {
                            seconds.add(metrics.tokens() / metrics.tokensPerSecond());
                        }
                    }
                })
                .run(folder);
        return seconds;
    }

    private static Adapter adapter(Llama llama) {
        return Adapters.inject(llama, LoraConfig.builder(new TargetModules.Names(PROJECTIONS)).r(8).alpha(16).build(), "default", new Rng(2));
    }

    /** The bundled tiny model on its bundled task. */
    private static Workload tiny() throws IOException {
        Path model = Bundled.tinyLlama();
        Llama llama = BaseModel.at(model).load();
        Tokenizer tokenizer = Tokenizers.forModel(model);
        int seq = Math.min(256, llama.config().maxPositions());
        Dataset data = Dataset.load(Bundled.task("reverse").train(), tokenizer, SpecialIds.of(tokenizer, llama.config()), seq);
        return new Workload("bundled tiny", model, tokenizer, seq, data);
    }

    /** A random-weight stories15M shape, written to a temporary HF folder, on random words in llama's SentencePiece vocabulary. */
    private static Workload stories15M() throws IOException {
        FinetuneShape shape = FinetuneShape.named("stories15M");
        Path model = Files.createTempDirectory("mixtape-spark-bench-stories15M");
        Llama weights = Llama.random(shape.config(), Backends.create("vector"), 1);
        InitialWeights.normal(weights, 0.02, 1);
        HfWriter.write(weights, null, model);
        Path shared = Path.of(System.getProperty("mixtape.bench.shared", "../shared"));
        Tokenizer tokenizer = Tokenizers.load(shared.resolve("tokenizers/llama-spm/ggml-vocab-llama-spm.gguf"));
        SplittableRandom random = new SplittableRandom(5);
        String[] words = {"the", "little", "girl", "saw", "a", "big", "dog", "and", "ran", "to", "her", "mom", "who", "was", "happy",
                "in", "park", "sun", "tree", "bird", "sang", "song", "they", "played", "all", "day", "then", "went", "home"};
        List<DataRecord> texts = new ArrayList<>();
        for (int t = 0; t < 64; t++) {
            StringBuilder text = new StringBuilder();
            for (int w = 0; w < 600; w++) {
                text.append(words[random.nextInt(words.length)]).append(w % 12 == 11 ? ". " : " ");
            }
            texts.add(new DataRecord.Text(text.toString(), "random words " + t));
        }
        Dataset data = Dataset.of("random words", texts, tokenizer, SpecialIds.of(tokenizer, weights.config()), shape.seq());
        return new Workload("stories15M shape", model, tokenizer, shape.seq(), data);
    }

    private static double median(List<Double> values) {
        return median(values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
