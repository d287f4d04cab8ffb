package dev.mixtape.engine;

import org.apache.commons.rng.RandomProviderState;
import org.apache.commons.rng.RestorableUniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.ZigguratSampler;
import org.apache.commons.rng.simple.RandomSource;

/**
 * A seeded source of random tensors (normal, uniform, Kaiming-uniform) and dropout masks. Two Rngs
 * made with the same seed produce the same sequence on every platform and backend. Not thread-safe:
 * give each thread or training run its own.
 */
public final class Rng {
    private final RestorableUniformRandomProvider source;
    private final ZigguratSampler.NormalizedGaussian gaussian;

    /** A generator seeded with {@code seed} (xoshiro256++). */
    public Rng(long seed) {
        source = RandomSource.XO_SHI_RO_256_PP.create(seed);
        gaussian = ZigguratSampler.NormalizedGaussian.of(source);
    }

    /** A uniform double in [0, 1). */
    public double nextDouble() {
        RandomReplay.beforeDraw(this);
        return source.nextDouble();
    }

    /** A uniform int in [0, bound). */
    public int nextInt(int bound) {
        RandomReplay.beforeDraw(this);
        return source.nextInt(bound);
    }

    /** A long for seeding a derived generator. */
    public long nextLong() {
        RandomReplay.beforeDraw(this);
        return source.nextLong();
    }

    /** Values drawn from N(mean, std²). */
    public float[] normal(int n, double mean, double std) {
        RandomReplay.beforeDraw(this);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (mean + std * gaussian.sample());
        }
        return out;
    }

    /** Values drawn from U(low, high). */
    public float[] uniform(int n, double low, double high) {
        RandomReplay.beforeDraw(this);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (low + (high - low) * source.nextDouble());
        }
        return out;
    }

    /** A tensor drawn from N(mean, std²) on {@code backend}. */
    public Tensor normal(Backend backend, double mean, double std, int... shape) {
        return Tensor.of(backend, normal(Shapes.numel(shape), mean, std), shape);
    }

    /** A tensor drawn from U(low, high) on {@code backend}. */
    public Tensor uniform(Backend backend, double low, double high, int... shape) {
        return Tensor.of(backend, uniform(Shapes.numel(shape), low, high), shape);
    }

    /**
     * PyTorch's {@code kaiming_uniform_(w, a)} for a weight of {@code shape} (fan-in = product of all
     * but the first dimension): {@code U(−b, b)} with {@code b = sqrt(6 / ((1 + a²)·fanIn))}. With
     * {@code a = √5}, the default of linear layers and LoRA's A, {@code b = 1/sqrt(fanIn)}.
     */
    public Tensor kaimingUniform(Backend backend, double a, int... shape) {
        int fanIn = Shapes.numel(shape) / shape[0];
        double bound = Math.sqrt(6.0 / ((1 + a * a) * fanIn));
        return uniform(backend, -bound, bound, shape);
    }

    /** A dropout mask: each element 0 with probability p, else {@code 1/(1−p)}. */
    public float[] dropoutMask(int n, double p) {
        RandomReplay.beforeDraw(this);
        float[] mask = new float[n];
        float keep = (float) (1.0 / (1.0 - p));
        for (int i = 0; i < n; i++) {
            mask[i] = source.nextDouble() < p ? 0f : keep;
        }
        return mask;
    }

    /** Where this generator is now, for {@link RandomReplay}. */
    RandomProviderState state() {
        return source.saveState();
    }

    /** Puts this generator back to a {@link #state()} it had, for {@link RandomReplay}. */
    void restore(RandomProviderState state) {
        source.restoreState(state);
    }
}
