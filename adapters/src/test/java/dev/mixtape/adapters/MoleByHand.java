package dev.mixtape.adapters;

import dev.mixtape.adapters.mole.Mole;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;

import java.util.List;
import java.util.Map;

import static dev.mixtape.adapters.Reference.timesTransposed;
import static dev.mixtape.adapters.Reference.widen;

/**
 * MoLE's formulas as plain double loops, written from spec/ADAPTERS.md, to check the tensor code
 * against; and the experts and gate values the MoLE tests start from.
 */
final class MoleByHand {
    /** The gates' RMS normalisation epsilon (MoLE's Gate.NORM_EPS). */
    private static final double NORM_EPS = 1e-12;

    private MoleByHand() {
    }

    /** Adds expert {@code name} to {@code model} with random A and B (B nonzero), so that it changes the model. */
    static Adapter expert(ToyModel model, String name, LoraConfig.Builder config, long seed) {
        return Adapters.inject(model, config.init(LoraInit.RANDOM).build(), name, new Rng(seed));
    }

    /** The same for a one-layer model. */
    static Adapter expert(SingleLayer model, String name, LoraConfig.Builder config, long seed) {
        return Adapters.inject(model, config.init(LoraInit.RANDOM).build(), name, new Rng(seed));
    }

    /** Gives every gate parameter values from N(0, std²), so that the gates weigh the experts unevenly. */
    static void randomGates(Mole mole, double std, long seed) {
        Rng rng = new Rng(seed);
        for (Tensor parameter : mole.parameters()) {
            parameter.assign(rng.normal(parameter.backend(), 0, std, parameter.shape()));
        }
    }

    /** Expert {@code expert}'s branch on {@code layer} for {@code x [rows, in]}: {@code s·x·Aᵀ·Mᵀ·Bᵀ}, {@code [rows, out]}. */
    static double[] expertOutput(Adapter expert, String layer, double[] x, int rows) {
        Map<String, Tensor> parameters = expert.namedParameters();
        String suffix = "." + expert.name() + ".weight";
        Tensor a = parameters.get(layer + ".lora_A" + suffix);
        Tensor mixer = parameters.get(layer + ".lora_AB" + suffix);
        Tensor b = parameters.get(layer + ".lora_B" + suffix);
        double[] h = timesTransposed(x, rows, widen(a.toFloatArray()), a.dim(0));
        if (mixer != null) {
            h = timesTransposed(h, rows, widen(mixer.toFloatArray()), mixer.dim(0));
        }
        double[] y = timesTransposed(h, rows, widen(b.toFloatArray()), b.dim(0));
        double s = expert.config().scalingFor(layer);
        for (int i = 0; i < y.length; i++) {
            y[i] *= s;
        }
        return y;
    }

    /** Row by row, the experts' outputs side by side: {@code [rows, N·out]}, the paper's gate input. */
    static double[] concatenated(List<double[]> outputs, int rows) {
        int out = outputs.getFirst().length / rows;
        double[] u = new double[rows * out * outputs.size()];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < outputs.size(); i++) {
                System.arraycopy(outputs.get(i), r * out, u, (r * outputs.size() + i) * out, out);
            }
        }
        return u;
    }

    /**
     * The gate weights for gate input {@code u} ({@code sequences × length} rows of {@code features}):
     * each row RMS-normalised, averaged over each sequence when {@code pooled}, then
     * {@code softmax(û·eᵀ / τ)} over the experts, renormalised over the experts not {@code masked}.
     * One row of N weights per token, or per sequence when pooled.
     */
    static double[][] gateWeights(double[] u, int sequences, int length, double[] e, int experts, double tau,
                                  boolean pooled, boolean[] masked) {
        int rows = sequences * length;
        int features = u.length / rows;
        double[][] normalised = new double[rows][features];
        for (int r = 0; r < rows; r++) {
            double squares = 0;
            for (int f = 0; f < features; f++) {
                squares += u[r * features + f] * u[r * features + f];
            }
            double scale = 1 / Math.sqrt(squares / features + NORM_EPS);
            for (int f = 0; f < features; f++) {
                normalised[r][f] = u[r * features + f] * scale;
            }
        }
        if (pooled) {
            double[][] means = new double[sequences][features];
            for (int r = 0; r < rows; r++) {
                for (int f = 0; f < features; f++) {
                    means[r / length][f] += normalised[r][f] / length;
                }
            }
            normalised = means;
        }
        double[][] weights = new double[normalised.length][experts];
        for (int r = 0; r < normalised.length; r++) {
            double largest = Double.NEGATIVE_INFINITY;
            double[] logits = new double[experts];
            for (int i = 0; i < experts; i++) {
                for (int f = 0; f < features; f++) {
                    logits[i] += normalised[r][f] * e[i * features + f];
                }
                logits[i] /= tau;
                largest = Math.max(largest, logits[i]);
            }
            double sum = 0;
            for (int i = 0; i < experts; i++) {
                weights[r][i] = Math.exp(logits[i] - largest);
                sum += weights[r][i];
            }
            double kept = 0;
            for (int i = 0; i < experts; i++) {
                weights[r][i] = masked[i] ? 0 : weights[r][i] / sum;
                kept += weights[r][i];
            }
            for (int i = 0; i < experts; i++) {
                weights[r][i] /= kept;
            }
        }
        return weights;
    }

    /** {@code base + Σᵢ Gᵢ·Eᵢ} row by row, with one row of weights per token or (pooled) per sequence of {@code length}. */
    static double[] mixture(double[] base, List<double[]> outputs, double[][] weights, int length, boolean pooled) {
        int rows = pooled ? weights.length * length : weights.length;
        int out = base.length / rows;
        double[] y = base.clone();
        for (int r = 0; r < rows; r++) {
            double[] g = weights[pooled ? r / length : r];
            for (int i = 0; i < outputs.size(); i++) {
                for (int o = 0; o < out; o++) {
                    y[r * out + o] += g[i] * outputs.get(i)[r * out + o];
                }
            }
        }
        return y;
    }

    /** No expert masked. */
    static boolean[] none(int experts) {
        return new boolean[experts];
    }
}
