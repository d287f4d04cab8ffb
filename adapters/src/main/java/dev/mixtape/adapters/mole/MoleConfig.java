package dev.mixtape.adapters.mole;

/**
 * A MoLE's settings. Build one with {@link #builder()}; the defaults are the paper's: gates per
 * sub-layer ({@link Granularity#LAYER}), reading the experts' outputs, per token, τ = 1 fixed,
 * balance weight α = 0.5.
 *
 * @param granularity          which adapted matrices share a gate
 * @param gateInput            what the gates read
 * @param pooling              per token, or one weighting per sequence
 * @param temperature          τ in {@code softmax(ε / τ)}; the starting value when learnable
 * @param learnableTemperature whether each gate learns its τ (stored as {@code log τ})
 * @param balanceWeight        α, the weight of the balance loss {@code −Σᵢ log qᵢ}
 */
public record MoleConfig(Granularity granularity, GateInput gateInput, Pooling pooling, double temperature,
                         boolean learnableTemperature, double balanceWeight) {

    /** Checks the settings: every choice made, τ positive and finite, α non-negative and finite. */
    public MoleConfig {
        if (granularity == null || gateInput == null || pooling == null) {
            throw new IllegalArgumentException("MoLE granularity, gate input and pooling must be given");
        }
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("MoLE temperature must be positive and finite, got " + temperature);
        }
        if (!(balanceWeight >= 0) || Double.isInfinite(balanceWeight)) {
            throw new IllegalArgumentException("MoLE balance weight must be non-negative and finite, got " + balanceWeight);
        }
    }

    /** A builder holding the defaults described on the class. */
    public static Builder builder() {
        return new Builder();
    }

    /** Assembles a {@link MoleConfig}; each setter returns the builder. */
    public static final class Builder {
        private Granularity granularity = Granularity.LAYER;
        private GateInput gateInput = GateInput.EXPERT_OUTPUTS;
        private Pooling pooling = Pooling.TOKEN;
        private double temperature = 1;
        private boolean learnableTemperature;
        private double balanceWeight = 0.5;

        private Builder() {
        }

        /** Which adapted matrices share a gate. */
        public Builder granularity(Granularity granularity) {
            this.granularity = granularity;
            return this;
        }

        /** What the gates read. */
        public Builder gateInput(GateInput gateInput) {
            this.gateInput = gateInput;
            return this;
        }

        /** Per token, or one weighting per sequence. */
        public Builder pooling(Pooling pooling) {
            this.pooling = pooling;
            return this;
        }

        /** τ, fixed or (with {@link #learnableTemperature}) the starting value. */
        public Builder temperature(double temperature) {
            this.temperature = temperature;
            return this;
        }

        /** Whether τ is learned. */
        public Builder learnableTemperature(boolean learnable) {
            this.learnableTemperature = learnable;
            return this;
        }

        /** α, the balance loss weight. */
        public Builder balanceWeight(double alpha) {
            this.balanceWeight = alpha;
            return this;
        }

        /** The checked config. */
        public MoleConfig build() {
            return new MoleConfig(granularity, gateInput, pooling, temperature, learnableTemperature, balanceWeight);
        }
    }
}
