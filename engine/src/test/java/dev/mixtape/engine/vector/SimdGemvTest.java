package dev.mixtape.engine.vector;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The decoding product {@code A·Bᵀ} for short and long rows, with and without a scalar tail: within
 * float rounding of a double-precision product, and every column bit-identical however the columns
 * are split between calls, as they are between threads (a whole range goes through the four-stream
 * kernel, ranges of three columns through the one-row kernel).
 */
class SimdGemvTest {
    private final Gemv gemv = new SimdGemv();

    @ParameterizedTest(name = "m={0} k={1} n={2}")
    @CsvSource({"1, 288, 37", "3, 291, 37", "1, 768, 37", "4, 771, 41", "2, 2048, 9"})
    void matchesTheReferenceAndDoesNotDependOnTheColumnSplit(int m, int k, int n) {
        SplittableRandom random = new SplittableRandom(17L * k + m);
        float[] a = randoms(random, 3 + m * k);
        float[] b = randoms(random, 5 + n * k);
        float[] whole = new float[m * n];
        gemv.rowsTimesTransposed(m, k, a, 3, k, b, 5, k, whole, 0, n, false, 0, n);

        float[] pieces = new float[m * n];
        for (int from = 0; from < n; from += 3) {
            gemv.rowsTimesTransposed(m, k, a, 3, k, b, 5, k, pieces, 0, n, false, from, Math.min(n, from + 3));
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double expected = 0;
                for (int p = 0; p < k; p++) {
                    expected += (double) a[3 + i * k + p] * b[5 + j * k + p];
                }
                String cell = "C[" + i + "," + j + "]";
                assertEquals(expected, whole[i * n + j], 1e-5 * k, cell);
                assertEquals(Float.floatToIntBits(whole[i * n + j]), Float.floatToIntBits(pieces[i * n + j]),
                        cell + " computed in columns of 3 differs from the whole product");
            }
        }
    }

    private static float[] randoms(SplittableRandom random, int size) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }
}
