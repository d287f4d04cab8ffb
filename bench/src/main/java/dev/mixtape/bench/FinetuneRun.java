package dev.mixtape.bench;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.LoraConfig;
import dev.mixtape.adapters.MixerInit;
import dev.mixtape.adapters.TargetModules;
import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.StepMemory;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.optim.GradClip;
import dev.mixtape.engine.optim.Optimizer;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.train.TrainingConfig;
import dev.mixtape.models.train.TrainingSequence;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * One case of the fine-tuning benchmark, run in a JVM of its own so that its peak RSS is its own:
 * a random-weight Llama of one {@link FinetuneShape} on the default backend ({@code mixtape.backend}),
 * an adapter (r 8, alpha 16) on all seven projections, and training steps on random tokens.
 *
 * <p>A step is what {@code Trainer} does for one micro-batch: {@code model.loss(...)}, {@code item()},
 * {@code backward()}, global-norm clipping at 1.0, the optimizer's step (AdamW as
 * {@link TrainingConfig}'s default makes it) and {@code zeroGrad()}, in a {@link StepMemory} step as
 * there. Progress goes to standard
 * error; standard output gets one line of {@code key=value} results for {@link FinetuneTable}, with the
 * median wall time and process CPU time of the measured steps (their ratio shows how much of the
 * machine the run got when others share it), the collectors' time per measured step, the live
 * heap at the end of a forward pass and, with {@value #PEAK_LIVE}, the largest live heap sampled
 * during the steps ({@link PeakLiveHeap}; -1 without it), on which {@link FinetuneShape#heapMbFor}'s
 * rule builds.
 *
 * <p>That live heap (-1 on ND4J, whose tensors live off the heap) is measured before the first step, outside any step memory, on tokens of its
 * own: a forward pass and loss, a full collection, then the heap in use (weights, adapter, what the
 * backward would keep, the kernels' pooled buffers); the pass is then dropped, without a backward
 * pass or an update, so the steps that follow are those of a run without it. The backward pass
 * holds more (the gradients, the optimizer's moments, with checkpointed layers one layer's
 * recomputed activations), which the sampled peak includes.
 */
public final class FinetuneRun {
    private static final List<String> PROJECTIONS = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    private FinetuneRun() {
    }

    /** The trailing argument that checkpoints each decoder layer ({@link Llama#checkpointLayers}). */
    static final String CHECKPOINT_LAYERS = "--checkpoint-layers";
    /** The trailing argument that samples the live heap during the steps ({@link PeakLiveHeap}): a sizing run's, slow. */
    static final String PEAK_LIVE = "--peak-live";

    /**
     * Arguments: shape key, {@code LoRA} or {@code MoSLoRA}, warm-up steps, measured steps; optionally
     * a weight type ({@code f32}, {@code q8_0}, {@code q4_0}) and the HF folder of the shape's model to
     * load in it ({@link QuantizedFinetuneTable}), instead of random weights made in f32 here; and
     * optionally, anywhere, the flags {@value #CHECKPOINT_LAYERS} and {@value #PEAK_LIVE}.
     */
    public static void main(String[] arguments) throws IOException, InterruptedException {
        List<String> flags = Arrays.stream(arguments).filter(argument -> argument.startsWith("--")).toList();
        String[] args = Arrays.stream(arguments).filter(argument -> !argument.startsWith("--")).toArray(String[]::new);
        boolean checkpointLayers = flags.contains(CHECKPOINT_LAYERS);
        boolean peakLive = flags.contains(PEAK_LIVE);
        if (args.length != 4 && args.length != 6 || !List.of(CHECKPOINT_LAYERS, PEAK_LIVE).containsAll(flags)) {
            System.err.println("usage: FinetuneRun <shape> LoRA|MoSLoRA <warm-up steps> <measured steps> [f32|q8_0|q4_0 <HF folder>] ["
                    + CHECKPOINT_LAYERS + "] [" + PEAK_LIVE + "]");
            System.exit(2);
        }
        FinetuneShape shape = FinetuneShape.named(args[0]);
        String adapterKind = args[1];
        int warmup = Integer.parseInt(args[2]);
        int measured = Integer.parseInt(args[3]);
        Backend backend = Backends.defaultBackend();
        String label = shape.key() + " " + adapterKind + " " + backend.name() + (checkpointLayers ? " checkpointed" : "");

        Llama llama = args.length == 4 ? Llama.random(shape.config(), backend, 1)
                : Llama.load(Path.of(args[5]), backend, DType.valueOf(args[4].toUpperCase(Locale.ROOT)));
        llama.checkpointLayers(checkpointLayers);
        LoraConfig.Builder config = LoraConfig.builder(new TargetModules.Names(PROJECTIONS)).r(8).alpha(16);
        if (adapterKind.equals("MoSLoRA")) {
            config.mixer(MixerInit.KAIMING);
        } else if (!adapterKind.equals("LoRA")) {
            throw new IllegalArgumentException("adapter must be LoRA or MoSLoRA, got '" + adapterKind + "'");
        }
        Adapter adapter = Adapters.inject(llama, config.build(), "default", new Rng(2));
        llama.train(new Rng(3));
        List<Tensor> trainable = adapter.parameters();
        Optimizer optimizer = TrainingConfig.builder(1).build().optimizer().create(trainable);
        optimizer.setLr(1e-3);

        long liveAfterForward = backend.name().equals("vector") ? liveHeapAfterForward(llama, shape) : -1;
        StepMemory memory = backend.stepMemory();
        SplittableRandom data = new SplittableRandom(4);
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        double[] seconds = new double[measured];
        double[] cpuSeconds = new double[measured];
        double gcSeconds = 0;
        double firstLoss = Double.NaN;
        double lastLoss = Double.NaN;
        PeakLiveHeap liveHeap = peakLive ? PeakLiveHeap.start() : null;
        for (int step = 0; step < warmup + measured; step++) {
            int[] tokens = data.ints((long) shape.batch() * (shape.seq() + 1), 0, shape.config().vocabSize()).toArray();
            long start = System.nanoTime();
            long cpuStart = os.getProcessCpuTime();
            long gcStart = collectionMillis();
            try (StepMemory.Step open = memory.open()) {
                lastLoss = step(llama, trainable, optimizer, shape, tokens);
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            double cpu = (os.getProcessCpuTime() - cpuStart) / 1e9;
            if (step == 0) {
                firstLoss = lastLoss;
            }
            boolean warming = step < warmup;
            if (!warming) {
                seconds[step - warmup] = elapsed;
                cpuSeconds[step - warmup] = cpu;
                gcSeconds += (collectionMillis() - gcStart) / 1e3;
            }
            System.err.printf(Locale.ROOT, "%s: %s step %d/%d %.3f s (CPU %.3f s), loss %.4f%n", label,
                    warming ? "warm-up" : "measured", warming ? step + 1 : step - warmup + 1, warming ? warmup : measured,
                    elapsed, cpu, lastLoss);
        }
        long peakLiveMb = -1;
        if (liveHeap != null) {
            liveHeap.close();
            peakLiveMb = liveHeap.peakBytes() >> 20;
            System.err.printf(Locale.ROOT, "%s: peak live heap %d MB (%d samples)%n", label, peakLiveMb, liveHeap.samples());
        }
        double median = median(seconds);
        System.out.printf(Locale.ROOT, "median_step_s=%.4f median_cpu_s=%.4f gc_s_per_step=%.3f tokens_per_s=%.1f peak_rss_mb=%.0f "
                        + "heap_max_mb=%d forward_live_mb=%d peak_live_mb=%d adapter_params=%d first_loss=%.4f last_loss=%.4f weight_mb=%.1f%n",
                median, median(cpuSeconds), gcSeconds / measured, shape.tokensPerStep() / median, PeakRss.megabytes(),
                Runtime.getRuntime().maxMemory() >> 20, liveAfterForward < 0 ? -1 : liveAfterForward >> 20, peakLiveMb, trainable.stream().mapToLong(Tensor::numel).sum(),
                firstLoss, lastLoss, llama.weightBytes() / 1e6);
    }

    /** Milliseconds the garbage collectors have spent so far (their pauses and, for G1, its concurrent cycles). */
    private static long collectionMillis() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(bean -> Math.max(0, bean.getCollectionTime())).sum();
    }

    /** The heap in use after a full collection at the end of a forward pass on tokens of its own (see the class comment). */
    private static long liveHeapAfterForward(Llama llama, FinetuneShape shape) {
        int[] ids = new SplittableRandom(5).ints(shape.tokensPerStep(), 0, shape.config().vocabSize()).toArray();
        Tensor loss = llama.loss(ids, ids, shape.batch(), shape.seq(), TrainingSequence.IGNORE);
        System.gc();
        Runtime runtime = Runtime.getRuntime();
        long live = runtime.totalMemory() - runtime.freeMemory();
        Reference.reachabilityFence(loss);
        return live;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /**
     * One training step on {@code tokens} ({@code batch} rows of {@code seq + 1} ids: each row's
     * first {@code seq} ids are read, its last {@code seq} predicted); returns the loss.
     */
    private static double step(Llama llama, List<Tensor> trainable, Optimizer optimizer, FinetuneShape shape, int[] tokens) {
        int batch = shape.batch();
        int seq = shape.seq();
        int[] ids = new int[batch * seq];
        int[] targets = new int[batch * seq];
        for (int row = 0; row < batch; row++) {
            System.arraycopy(tokens, row * (seq + 1), ids, row * seq, seq);
            System.arraycopy(tokens, row * (seq + 1) + 1, targets, row * seq, seq);
        }
        Tensor loss = llama.loss(ids, targets, batch, seq, TrainingSequence.IGNORE);
        double value = loss.item();
        loss.backward();
        GradClip.clipGlobalNorm(trainable, 1.0);
        optimizer.step();
        optimizer.zeroGrad();
        return value;
    }
}
