package dev.mixtape.models.llama;

/**
 * Llama 3's RoPE frequency scaling ({@code rope_type: "llama3"}): long wavelengths are divided by
 * {@code factor}, short ones kept, and those in between blended smoothly.
 */
public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {

    /** Refuses factors that are not positive and finite, or that would divide by zero (messages use config.json's keys). */
    public RopeScaling {
        requirePositive("factor", factor);
        requirePositive("low_freq_factor", lowFreqFactor);
        requirePositive("high_freq_factor", highFreqFactor);
        if (highFreqFactor <= lowFreqFactor) {
            throw new IllegalArgumentException("rope scaling: high_freq_factor " + highFreqFactor
                    + " must be greater than low_freq_factor " + lowFreqFactor);
        }
        if (originalMaxPositions < 1) {
            throw new IllegalArgumentException("rope scaling: original_max_position_embeddings must be positive, got " + originalMaxPositions);
        }
    }

    private static void requirePositive(String key, double value) {
        if (!(value > 0 && Double.isFinite(value))) {
            throw new IllegalArgumentException("rope scaling: " + key + " must be positive and finite, got " + value);
        }
    }

    /** Applies the scaling to {@code invFreq[j]} (LLAMA.md's formula), returning new frequencies. */
    public double[] apply(double[] invFreq) {
        double lowWavelength = originalMaxPositions / lowFreqFactor;
        double highWavelength = originalMaxPositions / highFreqFactor;
        double[] out = new double[invFreq.length];
        for (int j = 0; j < invFreq.length; j++) {
            double wavelength = 2 * Math.PI / invFreq[j];
            if (wavelength < highWavelength) {
                out[j] = invFreq[j];
            } else if (wavelength > lowWavelength) {
                out[j] = invFreq[j] / factor;
            } else {
                double t = (originalMaxPositions / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                out[j] = (1 - t) * invFreq[j] / factor + t * invFreq[j];
            }
        }
        return out;
    }
}
