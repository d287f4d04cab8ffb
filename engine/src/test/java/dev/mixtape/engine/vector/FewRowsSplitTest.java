package dev.mixtape.engine.vector;

import dev.mixtape.engine.DType;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Few-rows products as {@link MatmulDispatch} splits them between threads: a product too small to
 * be worth a second thread runs on the caller alone, a larger one in chunks of columns that may cross
 * from one matrix of a batch to the next. On 2 and 3 threads every output equals the one-thread
 * output bit for bit, with and without accumulating into the output, in both forms ({@code A·Bᵀ},
 * {@code A·B}); the one-thread output is within float rounding of a double-precision product. A chunk
 * boundary that drops, repeats or shifts a column (a column never written, a column accumulated twice)
 * makes the comparison fail.
 */
class FewRowsSplitTest {
    @AutoClose
    private static final VectorBackend one = new VectorBackend(1);
    @AutoClose
    private static final VectorBackend two = new VectorBackend(2);
    @AutoClose
    private static final VectorBackend three = new VectorBackend(3);

    @ParameterizedTest(name = "batch={0} m={1} n={2} k={3} transB={4} accumulate={5}")
    @CsvSource({
            "1, 1, 288, 288, true, false",
            "1, 1, 768, 288, true, false",
            "1, 1, 4003, 288, true, true",
            "3, 2, 1001, 96, true, true",
            "1, 4, 2050, 64, true, false",
            "2, 1, 600, 300, false, false",
            "1, 3, 2000, 200, false, true"})
    void everyThreadCountGivesTheOneThreadResult(int batch, int m, int n, int k, boolean transB, boolean accumulate) {
        SplittableRandom random = new SplittableRandom(31L * n + k);
        float[] a = randoms(random, batch * m * k);
        float[] b = randoms(random, batch * n * k);
        float[] initial = randoms(random, batch * m * n);
        float[] alone = product(one, batch, m, n, k, a, b, transB, initial, accumulate);
        for (int i = 0; i < batch; i++) {
            for (int r = 0; r < m; r++) {
                for (int j = 0; j < n; j++) {
                    double expected = accumulate ? initial[(i * m + r) * n + j] : 0;
                    for (int p = 0; p < k; p++) {
                        float weight = transB ? b[(i * n + j) * k + p] : b[(i * k + p) * n + j];
                        expected += (double) a[(i * m + r) * k + p] * weight;
                    }
                    assertEquals(expected, alone[(i * m + r) * n + j], 1e-5 * k, "C[" + i + "," + r + "," + j + "] on one thread");
                }
            }
        }
        for (VectorBackend team : new VectorBackend[] {two, three}) {
            float[] split = product(team, batch, m, n, k, a, b, transB, initial, accumulate);
            for (int cell = 0; cell < alone.length; cell++) {
                assertEquals(Float.floatToIntBits(alone[cell]), Float.floatToIntBits(split[cell]),
                        "output " + cell + " on " + team.threads() + " threads differs from one thread");
            }
        }
    }

    private static float[] product(VectorBackend backend, int batch, int m, int n, int k, float[] a, float[] b, boolean transB,
                                   float[] initial, boolean accumulate) {
        Tensor left = Tensor.of(backend, a, batch, m, k);
        Tensor right = transB ? Tensor.of(backend, b, batch, n, k) : Tensor.of(backend, b, batch, k, n);
        Tensor out = accumulate ? Tensor.of(backend, initial.clone(), batch, m, n) : Tensor.zeros(backend, DType.F32, batch, m, n);
        backend.matmul(left, false, right, transB, out, accumulate);
        return out.toFloatArray();
    }

    private static float[] randoms(SplittableRandom random, int size) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }
}
