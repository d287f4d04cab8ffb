package dev.mixtape.engine;

/**
 * Several bias-free linear layers applied to one input, {@code x·Wᵢᵀ} ({@link F#linears}): with
 * gradients off, through the backend's {@link SharedInputProducts} where it takes the operands;
 * otherwise (recording for a backward, or declined) one {@link F#linear} per weight. Both give the
 * same values.
 */
final class LinearsOp {
    private LinearsOp() {
    }

    static Tensor[] apply(Tensor x, Tensor... weights) {
        if (x.rank() == 0) {
            throw new IllegalArgumentException("linears: the input must have at least one dimension, got a scalar");
        }
        int k = x.dim(-1);
        for (Tensor weight : weights) {
            WeightOperand.check("linears", x, weight);
            if (weight.rank() != 2 || weight.dim(1) != k) {
                throw new IllegalArgumentException("linears: weight " + Shapes.str(weight.shape()) + " does not take input "
                        + Shapes.str(x.shape()));
            }
        }
        if (!Grad.isEnabled() && x.isContiguous()) {
            Tensor[] outs = x.backend().capability(SharedInputProducts.class)
                    .map(kernel -> kernel.productsSharingInput(x, weights)).orElse(null);
            if (outs != null) {
                Tape.notice(x);
                Tape.notice(weights);
                return outs;
            }
        }
        Tensor[] outs = new Tensor[weights.length];
        for (int i = 0; i < weights.length; i++) {
            outs[i] = F.linear(x, weights[i], null);
        }
        return outs;
    }
}
