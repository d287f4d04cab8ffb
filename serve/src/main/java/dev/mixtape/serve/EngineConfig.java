package dev.mixtape.serve;

import java.time.Duration;

/**
 * Limits of a {@link BatchEngine}.
 *
 * @param maxBatch       most sequences decoding together in one step; more wait for a place
 * @param maxConcurrent  most requests held at once, decoding or waiting; more are refused
 *                       ({@link QueueFullException})
 * @param productRows    most rows one weight product takes; a step of more sequences runs as
 *                       several products of at most this many rows (64 by default, a whole batch:
 *                       the weights are read once per step). Whatever the value, every product
 *                       gives each row the floats it gets alone ({@link dev.mixtape.engine.BatchInvariantProducts}),
 *                       so a request's output is bit for bit that of a single session
 *                       ({@code ./mixtape generate}), whatever else is running
 * @param requestTimeout how long a request may run, waiting included; null for no limit
 * @param weightPanels   whether steps of several rows read the base's f32 weight matrices from a
 *                       copy laid out for many rows ({@link dev.mixtape.engine.FrozenWeights}): faster
 *                       batches, bit for bit the same output, as much memory again as those weights
 *                       (on by default)
 */
public record EngineConfig(int maxBatch, int maxConcurrent, int productRows, Duration requestTimeout, boolean weightPanels) {
    /** Rows per product by default: a whole batch of {@link #defaults()}. */
    public static final int DEFAULT_PRODUCT_ROWS = 64;

    public EngineConfig {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("max batch must be >= 1, got " + maxBatch);
        }
        if (maxConcurrent < maxBatch) {
            throw new IllegalArgumentException("max concurrent (" + maxConcurrent + ") must be >= max batch (" + maxBatch + ")");
        }
        if (productRows < 1) {
            throw new IllegalArgumentException("product rows must be >= 1, got " + productRows);
        }
    }

    /** These limits, with the weights' panels. */
    public EngineConfig(int maxBatch, int maxConcurrent, int productRows, Duration requestTimeout) {
        this(maxBatch, maxConcurrent, productRows, requestTimeout, true);
    }

    /** 64 sequences per step in one product, 256 requests held, no time limit, the weights' panels. */
    public static EngineConfig defaults() {
        return new EngineConfig(64, 256, DEFAULT_PRODUCT_ROWS, null);
    }
}
