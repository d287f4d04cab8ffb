package dev.mixtape.engine.vector;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The two-rows-per-load product gives every row bit for bit what {@link SimdGemv} gives that row
 * alone (m = 1), for 2, 3 and 4 rows, rows long enough for whole vectors only and with a scalar tail,
 * an odd and an even number of whole vectors per row, whole ranges and
 * ranges cut into pieces of 5 and 3 columns (the cuts threads make), with and without accumulating
 * into C. This is batch invariance at the kernel: a pair kernel that summed in another
 * order (two accumulators merged, a tail added before the fold, a row's sums stored into its
 * neighbour's place) fails here. The build reruns it at the other vector width; run it with
 * {@code -Dmixtape.test.jvm.flags=-Dmixtape.vector.bits=128} for NEON's.
 */
class SimdRowPairGemvTest {
    private final Gemv pairs = new SimdRowPairGemv();
    private final Gemv oneRow = new SimdGemv();

    @ParameterizedTest(name = "m={0} k={1} n={2}")
    @CsvSource({"2, 288, 37", "3, 288, 40", "4, 288, 64", "4, 768, 41", "2, 291, 37", "3, 13, 23", "4, 771, 45", "4, 5, 9", "4, 2048, 16", "2, 296, 37", "4, 24, 12", "3, 8, 9"})
    void everyRowEqualsItsOneRowProduct(int m, int k, int n) {
        SplittableRandom random = new SplittableRandom(31L * k + m);
        float[] a = randoms(random, 3 + m * k);
        float[] b = randoms(random, 5 + n * k);
        float[] start = randoms(random, m * n);
        for (boolean accumulate : new boolean[] {false, true}) {
            float[] alone = start.clone();
            for (int i = 0; i < m; i++) {
                oneRow.rowsTimesTransposed(1, k, a, 3 + i * k, k, b, 5, k, alone, i * n, n, accumulate, 0, n);
            }
            for (int piece : new int[] {n, 5, 3}) {
                float[] together = start.clone();
                for (int from = 0; from < n; from += piece) {
                    pairs.rowsTimesTransposed(m, k, a, 3, k, b, 5, k, together, 0, n, accumulate, from, Math.min(n, from + piece));
                }
                for (int cell = 0; cell < m * n; cell++) {
                    assertEquals(Float.floatToIntBits(alone[cell]), Float.floatToIntBits(together[cell]),
                            "C[" + cell / n + "," + cell % n + "] of " + m + " rows in pieces of " + piece + " columns"
                                    + (accumulate ? ", accumulated" : "") + " differs from the row alone");
                }
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
