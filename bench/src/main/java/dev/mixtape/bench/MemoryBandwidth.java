package dev.mixtape.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.ArrayList;
import java.util.List;

/**
 * How fast this machine streams memory into the JVM: each of {@code threads} threads sums its own
 * array, far larger than the last-level cache, with the Vector API, and the best of a few rounds is
 * reported in GB/s. Each thread reads its array's four quarters side by side, as the GEMV reads
 * weights: four sequential streams keep more reads in flight than one (one stream reaches about
 * three quarters of this on one core). Token-by-token decoding reads every weight once per token, so
 * bytes per token over this figure is a ceiling on decoding speed.
 */
final class MemoryBandwidth {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int FLOATS_PER_THREAD = 64 << 20;
    private static final int ROUNDS = 5;

    private MemoryBandwidth() {
    }

    /** Best-of-rounds read bandwidth in GB/s with {@code threads} threads reading at once. */
    static double gbPerSecond(int threads) throws InterruptedException {
        float[][] arrays = new float[threads][];
        for (int t = 0; t < threads; t++) {
            arrays[t] = new float[FLOATS_PER_THREAD];
            java.util.Arrays.fill(arrays[t], 1f);
        }
        double best = 0;
        float[] sink = new float[threads];
        for (int round = 0; round < ROUNDS; round++) {
            List<Thread> readers = new ArrayList<>();
            long start = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                int index = t;
                readers.add(Thread.ofPlatform().start(() -> sink[index] += sum(arrays[index])));
            }
            for (Thread reader : readers) {
                reader.join();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            best = Math.max(best, (double) threads * FLOATS_PER_THREAD * Float.BYTES / seconds / 1e9);
        }
        if (sink[0] < 0) {
            throw new AssertionError("unreachable: the sums keep the reads alive");
        }
        return best;
    }

    /** The sum of the four quarters of {@code values} (a multiple of four vectors long), read side by side. */
    private static float sum(float[] values) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        int quarter = values.length / 4;
        for (int i = 0; i < quarter; i += S.length()) {
            s0 = s0.add(FloatVector.fromArray(S, values, i));
            s1 = s1.add(FloatVector.fromArray(S, values, i + quarter));
            s2 = s2.add(FloatVector.fromArray(S, values, i + 2 * quarter));
            s3 = s3.add(FloatVector.fromArray(S, values, i + 3 * quarter));
        }
        return s0.add(s1).add(s2).add(s3).lane(0);
    }
}
