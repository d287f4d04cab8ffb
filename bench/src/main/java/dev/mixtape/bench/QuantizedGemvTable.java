package dev.mixtape.bench;

import dev.mixtape.engine.DType;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.quant.BlockFormat;
import dev.mixtape.engine.quant.BlockFormats;
import dev.mixtape.engine.quant.QuantizedMatrix;
import dev.mixtape.engine.quant.QuantizingFormat;
import dev.mixtape.engine.vector.QuantizedProducts;
import dev.mixtape.engine.vector.VectorBackend;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * {@code bench/run gemv}: one core multiplying one activation row by a stories110M-shape weight
 * matrix ([2048, 768], an FFN up projection), the shape of token-by-token decoding, in f32 and bf16
 * (the Vector backend's GEMV, through {@code Backend.matmul}) beside the quantised kernels of
 * {@link QuantizedProducts} for Q8_0, Q4_0, Q4_K, Q5_K and Q6_K, each also as the Vector backend holds it
 * where that differs ({@link QuantizedProducts#forDecoding}: Q8_0 interleaved); and the gradient to the input {@code dx = dy·W}
 * of the quantised ones. {@value #COPIES} copies of the matrix are cycled through, two per layer of
 * the 12-layer model, so the weights come from memory as in decoding, not from cache. Prints GB/s of
 * weight bytes read and GFLOP/s (2·rows·cols per product), and the thread's CPU time per product. Run
 * with {@code --quick} for a short run.
 */
public final class QuantizedGemvTable {
    private static final int ROWS = 2048;
    private static final int COLS = 768;
    private static final int COPIES = 24;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private QuantizedGemvTable() {
    }

    public static void main(String[] args) {
        boolean quick = args.length > 0 && args[0].equals("--quick");
        double seconds = quick ? 0.5 : 3;
        SplittableRandom random = new SplittableRandom(110);
        float[][] dense = new float[COPIES][];
        for (int c = 0; c < COPIES; c++) {
            dense[c] = randomFloats(ROWS * COLS, 0.05, random);
        }
        float[] x = randomFloats(COLS, 1, random);
        System.out.println(Host.describe());
        System.out.printf(Locale.ROOT, "GEMV of one row by a [%d, %d] weight (stories110M's FFN), one core, %d copies cycled%n",
                ROWS, COLS, COPIES);
        System.out.println("| weights | product | bytes/weight | µs/product | GB/s | GFLOP/s | CPU µs/product |");
        System.out.println("|---|---|---|---|---|---|---|");
        try (VectorBackend backend = new VectorBackend(1)) {
            Tensor xTensor = Tensor.of(backend, x, 1, COLS);
            Tensor out = Tensor.of(backend, new float[ROWS], 1, ROWS);
            for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
                Tensor[] weights = new Tensor[COPIES];
                for (int c = 0; c < COPIES; c++) {
                    Tensor f32 = Tensor.of(backend, dense[c], ROWS, COLS);
                    weights[c] = dtype == DType.F32 ? f32 : Tensor.zeros(backend, DType.BF16, ROWS, COLS);
                    if (dtype != DType.F32) {
                        backend.copy(f32, weights[c]);
                    }
                }
                double bytes = dtype == DType.F32 ? 4 : 2;
                report(dtype.name().toLowerCase(Locale.ROOT), "y = x·Wᵀ", bytes, seconds,
                        c -> backend.matmul(xTensor, false, weights[c], true, out, false));
            }
        }
        float[] y = new float[ROWS];
        float[] dy = randomFloats(ROWS, 1, random);
        float[] dx = new float[COLS];
        for (BlockFormat format : new BlockFormat[] {BlockFormats.Q8_0, BlockFormats.Q4_0, BlockFormats.Q4_K, BlockFormats.Q5_K,
                BlockFormats.Q6_K}) {
            QuantizedMatrix[] weights = new QuantizedMatrix[COPIES];
            for (int c = 0; c < COPIES; c++) {
                weights[c] = format instanceof QuantizingFormat quantizing ? QuantizedMatrix.quantize(quantizing, dense[c], ROWS, COLS)
                        : randomBlocks(format, random);
            }
            double bytes = (double) format.blockBytes() / format.blockSize();
            String name = format.name().toLowerCase(Locale.ROOT);
            report(name, "y = x·Wᵀ", bytes, seconds,
                    c -> QuantizedProducts.timesTransposed(1, x, 0, COLS, weights[c], y, 0, ROWS, false, 0, ROWS));
            report(name, "dx = dy·W", bytes, seconds,
                    c -> QuantizedProducts.times(1, dy, 0, ROWS, weights[c], dx, 0, COLS, false, 0, weights[c].blocksPerRow()));
            QuantizedMatrix[] held = new QuantizedMatrix[COPIES];
            for (int c = 0; c < COPIES; c++) {
                held[c] = QuantizedProducts.forDecoding(weights[c]);
            }
            if (held[0].format() != format) {
                String heldName = name + " as held (" + held[0].format().name() + ")";
                report(heldName, "y = x·Wᵀ", bytes, seconds,
                        c -> QuantizedProducts.timesTransposed(1, x, 0, COLS, held[c], y, 0, ROWS, false, 0, ROWS));
                report(heldName, "dx = dy·W", bytes, seconds,
                        c -> QuantizedProducts.times(1, dy, 0, ROWS, held[c], dx, 0, COLS, false, 0, held[c].blocksPerRow()));
            }
        }
    }

    /**
     * Runs {@code product} over the copies for a warm-up and then for {@code seconds}, and prints a
     * row. The last column is the CPU time the thread spent per product: on a machine shared with
     * other work it moves far less than the wall-clock time, which counts the time the thread waited.
     */
    private static void report(String weights, String product, double bytesPerWeight, double seconds, IntConsumer run) {
        run(run, seconds / 2);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long cpuStart = threads.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        long products = run(run, seconds);
        double perProduct = (System.nanoTime() - start) / 1e9 / products;
        double cpuPerProduct = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e9 / products;
        double elements = (double) ROWS * COLS;
        System.out.printf(Locale.ROOT, "| %s | %s | %.3f | %.1f | %.1f | %.1f | %.1f |%n", weights, product, bytesPerWeight,
                perProduct * 1e6, elements * bytesPerWeight / perProduct / 1e9, 2 * elements / perProduct / 1e9,
                cpuPerProduct * 1e6);
    }

    private static long run(IntConsumer product, double seconds) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long products = 0;
        while (System.nanoTime() < end) {
            for (int c = 0; c < COPIES; c++) {
                product.accept(c);
            }
            products += COPIES;
        }
        return products;
    }

    private static float[] randomFloats(int n, double scale, SplittableRandom random) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextGaussian() * scale);
        }
        return values;
    }

    /**
     * Random K-quant blocks (random integers and sub-block scales, small f16 super-scales, at the
     * offsets of Q4_K's and Q5_K's {@code d, dmin} or Q6_K's {@code d}): the speed does not depend on the values,
     * and the gguf package has no K-quant quantiser to make real ones.
     */
    private static QuantizedMatrix randomBlocks(BlockFormat format, SplittableRandom random) {
        int blocks = ROWS * COLS / format.blockSize();
        byte[] bytes = new byte[blocks * format.blockBytes()];
        random.nextBytes(bytes);
        MemorySegment segment = MemorySegment.ofArray(bytes);
        int[] halves = format == BlockFormats.Q6_K ? new int[] {208} : new int[] {0, 2};
        for (int b = 0; b < blocks; b++) {
            for (int at : halves) {
                segment.set(HALF, (long) b * format.blockBytes() + at, Float.floatToFloat16(0.001f));
            }
        }
        return new QuantizedMatrix(format, ROWS, COLS, segment);
    }
}
