package dev.mixtape.bench;

/**
 * The textbook baseline: one thread, three nested loops, one dot product per element of C, operands
 * read in place through the transpose flags. No blocking, no SIMD beyond what the JIT finds.
 */
final class ScalarMatmul implements MatmulImplementation {
    private final MatmulCase shape;
    private final float[] a;
    private final float[] b;
    private final float[] out;

    ScalarMatmul(MatmulCase shape, long seed) {
        this.shape = shape;
        this.a = MatmulImplementation.randomValues(shape.m() * shape.k(), seed);
        this.b = MatmulImplementation.randomValues(shape.k() * shape.n(), seed + 1);
        this.out = new float[shape.m() * shape.n()];
    }

    @Override
    public void multiply() {
        int m = shape.m();
        int n = shape.n();
        int k = shape.k();
        boolean transA = shape.form().transA();
        boolean transB = shape.form().transB();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float sum = 0;
                for (int p = 0; p < k; p++) {
                    float x = transA ? a[p * m + i] : a[i * k + p];
                    float y = transB ? b[j * k + p] : b[p * n + j];
                    sum += x * y;
                }
                out[i * n + j] = sum;
            }
        }
    }

    @Override
    public float[] result() {
        return out.clone();
    }

    @Override
    public void close() {
    }
}
