package dev.mixtape.bench;

import dev.mixtape.engine.DType;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.vector.VectorBackend;

import java.time.LocalDate;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * The time of one decoding-shaped product, {@code x [1, k] · Wᵀ} with {@code W [n, k]} in f32, on the
 * Vector backend with 1 and 2 threads: the weight matrices of stories15M (k = 288) and stories110M
 * (k = 768) and their classifier. Each row cycles over enough copies of its matrix to exceed the
 * last-level cache, as a decoded token does, so that the weights come from memory; the figure is the
 * best round's mean, the least disturbed by other work on a shared machine. Shows where a second
 * thread helps and where handing the work over would cost more than it saves. Prints a Markdown table.
 */
public final class DecodeProductTimes {
    /** Weights per row, cycled over so that they do not stay in the caches. */
    private static final long BYTES_CYCLED = 96L << 20;
    private static final int ROUNDS = 7;
    private static final int[][] SHAPES = {{288, 288}, {768, 288}, {32000, 288}, {768, 768}, {2048, 768}, {32000, 768}};

    private DecodeProductTimes() {
    }

    /** Prints the table; {@code --quick} times fewer products per round. */
    public static void main(String[] args) {
        boolean quick = Arrays.asList(args).contains("--quick");
        System.out.println(Host.describe() + " " + LocalDate.now() + ".");
        System.out.println();
        System.out.println("| W [n, k] | MB | 1 thread µs | 2 threads µs | 1 thread GB/s | 2 threads GB/s | 2 ÷ 1 speed-up |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|");
        for (int[] shape : SHAPES) {
            double one = microseconds(shape[0], shape[1], 1, quick);
            double two = microseconds(shape[0], shape[1], 2, quick);
            double megabytes = 4.0 * shape[0] * shape[1] / 1e6;
            System.out.printf(Locale.ROOT, "| [%d, %d] | %.2f | %.1f | %.1f | %.1f | %.1f | %.2f× |%n", shape[0], shape[1],
                    megabytes, one, two, megabytes / one * 1e3, megabytes / two * 1e3, one / two);
        }
    }

    /** The best round's mean time of one product, in microseconds. */
    private static double microseconds(int n, int k, int threads, boolean quick) {
        try (VectorBackend backend = new VectorBackend(threads)) {
            Random random = new Random(n * 31L + k);
            int copies = (int) Math.max(1, BYTES_CYCLED / (4L * n * k));
            Tensor[] weights = new Tensor[copies];
            for (int i = 0; i < copies; i++) {
                weights[i] = Tensor.of(backend, randoms(random, n * k), n, k);
            }
            Tensor x = Tensor.of(backend, randoms(random, k), 1, k);
            Tensor out = Tensor.zeros(backend, DType.F32, 1, n);
            long perRound = Math.max(copies, (quick ? 100_000_000L : 400_000_000L) / (4L * n * k));
            double[] rounds = new double[ROUNDS];
            for (int round = -3; round < ROUNDS; round++) {
                long start = System.nanoTime();
                for (long i = 0; i < perRound; i++) {
                    backend.matmul(x, false, weights[(int) (i % copies)], true, out, false);
                }
                if (round >= 0) {
                    rounds[round] = (System.nanoTime() - start) / 1e3 / perRound;
                }
            }
            return Arrays.stream(rounds).min().orElseThrow();
        }
    }

    private static float[] randoms(Random random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextGaussian() * 0.02f;
        }
        return values;
    }
}
