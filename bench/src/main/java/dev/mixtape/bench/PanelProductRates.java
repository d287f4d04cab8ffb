package dev.mixtape.bench;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.BatchInvariantProducts;
import dev.mixtape.engine.F;
import dev.mixtape.engine.FrozenWeights;
import dev.mixtape.engine.Grad;
import dev.mixtape.engine.Tensor;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Part of {@code bench/run serve --step}: the multiply-adds per second of one product through the
 * weights' panels on one thread, at the rows a serving group has, with the weights read from memory
 * and from the caches: two [32000, 288] matrices (stories15M's classifier, 37 MB each) taking turns,
 * so that neither stays in a 32 MB L3, against one [768, 288] matrix (an MLP's, 0.9 MB), read again
 * and again. Where the two differ, a product of that many rows waits for memory rather than for its
 * multiply-adds: each weight read serves only that many rows.
 */
final class PanelProductRates {
    private static final int[] ROWS = {4, 8, 16, 64};
    private static final int DIM = 288;
    private static final int ROUNDS = 5;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private PanelProductRates() {
    }

    /** Prints the table for products on {@code backend} (one kernel thread). */
    static void run(Backend backend) {
        SplittableRandom random = new SplittableRandom(3);
        List<Tensor> fromMemory = List.of(matrix(backend, random, 32000), matrix(backend, random, 32000));
        List<Tensor> fromCache = List.of(matrix(backend, random, 768));
        double[] memory = new double[ROWS.length];
        double[] cache = new double[ROWS.length];
        for (int round = 0; round < ROUNDS; round++) {
            for (int r = 0; r < ROWS.length; r++) {
                memory[r] = Math.max(memory[r], gmacPerSecond(backend, fromMemory, ROWS[r], random, 4));
                cache[r] = Math.max(cache[r], gmacPerSecond(backend, fromCache, ROWS[r], random, 400));
            }
        }
        System.out.println();
        System.out.println("| rows per product | GMAC/s, weights from memory ([32000, 288] x 2) | GMAC/s, weights from cache ([768, 288]) "
                + "| from memory / from cache |");
        System.out.println("|---:|---:|---:|---:|");
        for (int r = 0; r < ROWS.length; r++) {
            System.out.printf(Locale.ROOT, "| %d | %.1f | %.1f | %.2f |%n", ROWS[r], memory[r], cache[r], memory[r] / cache[r]);
        }
    }

    /** The best of the products of {@code rows} rows by each of {@code weights} in turn, {@code repeats} times over. */
    private static double gmacPerSecond(Backend backend, List<Tensor> weights, int rows, SplittableRandom random, int repeats) {
        FrozenWeights frozen = new FrozenWeights(weights);
        Tensor x = matrix(backend, random, rows);
        try (var scope = Grad.off()) {
            BatchInvariantProducts.run(rows, frozen, () -> weights.stream().map(w -> F.linear(x, w, null)).toList());
            long start = THREADS.getCurrentThreadCpuTime();
            long macs = 0;
            for (int i = 0; i < repeats; i++) {
                for (Tensor w : weights) {
                    BatchInvariantProducts.run(rows, frozen, () -> F.linear(x, w, null));
                    macs += (long) rows * w.dim(0) * DIM;
                }
            }
            return macs / (double) (THREADS.getCurrentThreadCpuTime() - start);
        }
    }

    private static Tensor matrix(Backend backend, SplittableRandom random, int rows) {
        float[] values = new float[rows * DIM];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return Tensor.of(backend, values, rows, DIM);
    }
}
