package dev.mixtape.engine.vector;

import java.util.Random;

/**
 * Run in a child JVM started without {@code --add-modules jdk.incubator.vector} by {@link SgemmTest}:
 * multiplies through a default-built {@link Sgemm} (which must pick the scalar micro-kernel and load
 * no Vector API class) and compares with a double-precision loop. Exits with status 1 on a mismatch.
 */
final class SgemmFallbackCheck {
    static final String PASSED = "sgemm fallback check passed";

    private SgemmFallbackCheck() {
    }

    public static void main(String[] args) {
        if (VectorSupport.available()) {
            System.out.println("started with jdk.incubator.vector; this check needs a JVM without it");
            System.exit(1);
        }
        int m = 37;
        int n = 29;
        int k = 53;
        Random random = new Random(7);
        float[] a = new float[k * m];
        float[] b = new float[n * k];
        for (int i = 0; i < a.length; i++) {
            a[i] = random.nextFloat() - 0.5f;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = random.nextFloat() - 0.5f;
        }
        float[] c = new float[m * n];
        try (Parallel parallel = new Parallel(2)) {
            new Sgemm(parallel).multiply(1, true, true, m, n, k, a, 0, 0, m, b, 0, 0, k, c, 0, 0, n, false);
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double expected = 0;
                for (int p = 0; p < k; p++) {
                    expected += (double) a[p * m + i] * b[j * k + p];
                }
                if (Math.abs(c[i * n + j] - expected) > 1e-5 * Math.sqrt(k) * k) {
                    System.out.println("C[" + i + "][" + j + "] = " + c[i * n + j] + ", expected " + expected);
                    System.exit(1);
                }
            }
        }
        System.out.println(PASSED);
    }
}
