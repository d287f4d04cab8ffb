package dev.mixtape.bench;

/**
 * One way of computing a {@link MatmulCase}, set up once with its operands and then run repeatedly by
 * the benchmark. Closing releases threads and native memory.
 */
interface MatmulImplementation extends AutoCloseable {

    /** Computes {@code C = op(A)·op(B)} once into the implementation's own output. */
    void multiply();

    /** The output as a row-major float array, for checking that implementations agree. */
    float[] result();

    @Override
    void close();

    /** The implementation called {@code name} ({@code vector}, {@code nd4j} or {@code scalar}), set up for {@code c}. */
    static MatmulImplementation create(String name, MatmulCase c, int threads, long seed) {
        return switch (name) {
            case "vector" -> new VectorMatmul(c, threads, seed);
            case "nd4j" -> new Nd4jMatmul(c, threads, seed);
            case "scalar" -> new ScalarMatmul(c, seed);
            default -> throw new IllegalArgumentException("unknown matmul implementation '" + name
                    + "' (expected vector, nd4j or scalar)");
        };
    }

    /** {@code count} reproducible values in [-1, 1) for the operands. */
    static float[] randomValues(int count, long seed) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }
}
