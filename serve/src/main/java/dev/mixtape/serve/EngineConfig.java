package dev.mixtape.serve;

import java.time.Duration;

/**
 * Limits of a {@link BatchEngine}.
 *
 * @param maxBatch       most sequences decoding together in one step; more wait for a place
 * @param maxConcurrent  most requests held at once, decoding or waiting; more are refused
 *                       ({@link QueueFullException})
 * @param productRows    most rows one weight product takes; a step of more sequences runs as
 *                       several products of at most this many rows. At most 4 (the default), every
 *                       product is the engine's decoding-shaped one, which gives each row the floats
 *                       it gets alone: a request's output is then bit for bit that of a single
 *                       session ({@code ./mixtape generate}), whatever else is running. Larger,
 *                       the weights are read fewer times per step (faster with many clients), and
 *                       outputs may differ from a single session's in rounding
 * @param requestTimeout how long a request may run, waiting included; null for no limit
 */
public record EngineConfig(int maxBatch, int maxConcurrent, int productRows, Duration requestTimeout) {
    /** Rows per product where each row gets exactly what it gets alone. */
    public static final int EXACT_PRODUCT_ROWS = 4;

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

    /** 64 sequences per step, 256 requests held, exact products, no time limit. */
    public static EngineConfig defaults() {
        return new EngineConfig(64, 256, EXACT_PRODUCT_ROWS, null);
    }
}
