package dev.mixtape.bench;

import dev.mixtape.models.llama.LlamaConfig;

import java.util.List;

/**
 * A model shape the fine-tuning benchmark trains, with its batch, its steps and the heaps it runs in.
 *
 * @param key                      the name on the command line and in the table
 * @param description              the shape in words
 * @param config                   the random-weight Llama's shape
 * @param batch                    sequences per step
 * @param seq                      tokens per sequence
 * @param steps                    the steps of a full run on the Vector backend (see {@link FinetuneSteps#of})
 * @param vectorHeapMb             -Xmx on the Vector backend, whose tensors live on the Java heap, for
 *                                 {@code bench/run finetune} and the sizing runs of {@code bench/run quant-finetune}
 *                                 (whose measured runs take {@link #heapMbFor}'s heap), set by one
 *                                 rule for every case: the live heap at the end of a forward pass (weights,
 *                                 adapter, what the backward keeps, the kernels' pooled buffers: the
 *                                 {@code forward_live_mb} {@link FinetuneRun} measures, in brackets in the
 *                                 table) + 512 MB for one step's passing arrays and the collector, rounded up
 *                                 to 256 MB. Measured 2026-12-07: stories15M 424 MB (1024), SmolLM2-135M
 *                                 1619 MB (2304). A step's arrays are recycled into the next up to half
 *                                 the heap ({@code StepMemory}); at these heaps that took no more CPU time
 *                                 per step than 2 and 3 GB did
 * @param nd4jHeapMb               -Xmx on ND4J, whose tensors live off the heap: JavaCPP caps that native
 *                                 memory at a multiple of the heap, which SmolLM2-135M's step needs 2 GB to clear
 */
record FinetuneShape(String key, String description, LlamaConfig config, int batch, int seq, FinetuneSteps steps, int vectorHeapMb,
                     int nd4jHeapMb) {

    /** stories15M (llama2.c) and SmolLM2-135M. */
    static final List<FinetuneShape> ALL = List.of(
            new FinetuneShape("stories15M", "dim 288, 6 layers, vocab 32000",
                    new LlamaConfig(288, 768, 6, 6, 6, 48, 32000, 256, 1e-5, 10000, null, true, 1, 2),
                    8, 256, new FinetuneSteps(3, 8), 1024, 1024),
            new FinetuneShape("SmolLM2-135M", "dim 576, 30 layers, 9/3 heads, vocab 49152",
                    new LlamaConfig(576, 1536, 30, 9, 3, 64, 49152, 256, 1e-5, 100000, null, true, 1, 2),
                    4, 256, new FinetuneSteps(2, 5), 2304, 2048));

    /** The shape called {@code key}. */
    static FinetuneShape named(String key) {
        return ALL.stream().filter(shape -> shape.key.equals(key)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown shape '" + key + "'"));
    }

    /** Tokens one training step reads. */
    int tokensPerStep() {
        return batch * seq;
    }

    /** The heap rule's factor over a step's peak live heap ({@link #heapMbFor}). */
    static final double HEAP_FACTOR = 1.25;

    /** The granularity of the heap rule: the G1 region size the benchmarks' JVMs run with ({@code .mvn/jvm-flags.sh}). */
    static final int HEAP_REGION_MB = 32;

    /**
     * The heap rule of {@code bench/run quant-finetune}, the same for every case: the peak live heap of a
     * training step ({@code peak_live_mb} of {@link FinetuneRun}, sampled by {@link PeakLiveHeap} in a sizing
     * run) × {@code factor} ({@link #HEAP_FACTOR} unless a table is asked for another), rounded up to a
     * whole number of G1 regions. Proportional, so no case gets more room than its own step asks for:
     * a fixed room added to every case is a larger share of a small case's heap than of a large one's.
     */
    static int heapMbFor(long peakLiveMb, double factor) {
        long mb = (long) Math.ceil(peakLiveMb * factor);
        return (int) ((mb + HEAP_REGION_MB - 1) / HEAP_REGION_MB * HEAP_REGION_MB);
    }

    /** The heap the benchmark gives a JVM running this shape on {@code backend}. */
    int heapMb(String backend) {
        return backend.equals("nd4j") ? nd4jHeapMb : vectorHeapMb;
    }
}
