package dev.mixtape.engine;

/**
 * Precomputed cosines and sines for rotary position embedding: {@code cos[p, j] = cos(p · invFreq[j])}
 * for positions {@code p < maxPositions} and pairs {@code j < headDim/2}, plus the pairing layout.
 * Build one per model (it is immutable) and pass it to {@link F#rope}.
 */
public record RopeTable(Tensor cos, Tensor sin, RopeLayout layout) {

    /** The standard table: {@code invFreq[j] = θ^(−2j/headDim)}. */
    public static RopeTable of(Backend backend, DType dtype, int headDim, int maxPositions, double theta, RopeLayout layout) {
        double[] invFreq = new double[headDim / 2];
        for (int j = 0; j < invFreq.length; j++) {
            invFreq[j] = Math.pow(theta, -2.0 * j / headDim);
        }
        return of(backend, dtype, invFreq, maxPositions, layout);
    }

    /** A table from explicit inverse frequencies (for scaled RoPE variants such as Llama 3's). */
    public static RopeTable of(Backend backend, DType dtype, double[] invFreq, int maxPositions, RopeLayout layout) {
        int half = invFreq.length;
        int size = Math.multiplyExact(maxPositions, half);
        double[] cos = new double[size];
        double[] sin = new double[size];
        for (int p = 0; p < maxPositions; p++) {
            for (int j = 0; j < half; j++) {
                double angle = p * invFreq[j];
                cos[p * half + j] = Math.cos(angle);
                sin[p * half + j] = Math.sin(angle);
            }
        }
        return new RopeTable(Tensor.of(backend, dtype, cos, maxPositions, half),
                Tensor.of(backend, dtype, sin, maxPositions, half), layout);
    }

    /** Number of positions the table covers. */
    public int maxPositions() {
        return cos.dim(0);
    }

    /** Head dimension the table is for. */
    public int headDim() {
        return 2 * cos.dim(1);
    }
}
