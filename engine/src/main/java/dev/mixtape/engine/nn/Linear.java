package dev.mixtape.engine.nn;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.F;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Shapes;
import dev.mixtape.engine.Tensor;

/**
 * A fully connected layer {@code y = x·Wᵀ + b}, like PyTorch's {@code nn.Linear}: parameter
 * {@code weight} is {@code [out, in]} and the optional {@code bias} is {@code [out]}. Initialised as
 * PyTorch does: {@code kaiming_uniform_(weight, a=√5)}, which is U(−1/√in, 1/√in), then the bias from
 * the same U(−1/√in, 1/√in), both drawn from the given {@link Rng} in that order.
 */
public final class Linear extends Module implements Layer {
    private final int inFeatures;
    private final int outFeatures;
    private final boolean hasBias;

    /**
     * A layer from {@code inFeatures} to {@code outFeatures} on {@code backend}, with a bias when
     * {@code bias}; with a null {@code rng} its parameters are stand-ins for a loader to set
     * ({@link #registerUnloaded}).
     */
    public Linear(Backend backend, int inFeatures, int outFeatures, boolean bias, Rng rng) {
        if (inFeatures <= 0 || outFeatures <= 0) {
            throw new IllegalArgumentException("Linear needs positive sizes, got inFeatures=" + inFeatures
                    + ", outFeatures=" + outFeatures);
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.hasBias = bias;
        if (rng == null) {
            registerUnloaded("weight", backend, outFeatures, inFeatures);
            if (bias) {
                registerUnloaded("bias", backend, outFeatures);
            }
            return;
        }
        registerParameter("weight", rng.kaimingUniform(backend, Math.sqrt(5), outFeatures, inFeatures));
        if (bias) {
            double bound = 1 / Math.sqrt(inFeatures);
            registerParameter("bias", rng.uniform(backend, -bound, bound, outFeatures));
        }
    }

    /** {@code x·Wᵀ + b} for {@code x [..., in]}, giving {@code [..., out]}. */
    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() == 0 || x.dim(-1) != inFeatures) {
            throw new IllegalArgumentException("Linear(" + inFeatures + " -> " + outFeatures
                    + ") expects input [..., " + inFeatures + "], got " + Shapes.str(x.shape()));
        }
        return F.linear(x, weight(), bias());
    }

    /** The weight {@code [out, in]}. */
    public Tensor weight() {
        return parameter("weight");
    }

    /** The bias {@code [out]}, or null for a layer without one. */
    public Tensor bias() {
        return hasBias ? parameter("bias") : null;
    }

    /** Size of each input row. */
    public int inFeatures() {
        return inFeatures;
    }

    /** Size of each output row. */
    public int outFeatures() {
        return outFeatures;
    }
}
