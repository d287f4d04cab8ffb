package dev.mixtape.adapters;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;

/**
 * How a new LoRA's factors {@code A [r, in]} and {@code B [out, r]} start: PEFT's
 * {@code init_lora_weights}. With {@link #KAIMING} and {@link #GAUSSIAN}, B is zero, so the adapted
 * model equals the base model until the first optimizer step.
 */
public enum LoraInit {
    /**
     * PEFT's default ({@code init_lora_weights: true}): A from {@code kaiming_uniform(a=√5)}, which
     * is U(−1/√in, 1/√in); B = 0.
     */
    KAIMING,
    /**
     * {@code init_lora_weights: "gaussian"}: A normal with mean 0 and standard deviation 1/r
     * (PEFT draws {@code normal_(std=1/r)}); B = 0.
     */
    GAUSSIAN,
    /**
     * {@code init_lora_weights: false}: A and B both as a fresh {@code nn.Linear} would be,
     * U(−1/√fanIn, 1/√fanIn) over their own fan-in (in for A, r for B). The adapter changes the
     * model from the start; PEFT keeps this for tests and debugging.
     */
    RANDOM;

    /** {@code A [r, in]} on {@code backend}, drawn from {@code rng}. */
    Tensor initialA(Backend backend, Rng rng, int r, int in) {
        return switch (this) {
            case KAIMING, RANDOM -> rng.kaimingUniform(backend, Math.sqrt(5), r, in);
            case GAUSSIAN -> rng.normal(backend, 0, 1.0 / r, r, in);
        };
    }

    /** {@code B [out, r]} on {@code backend}: zeros, or drawn from {@code rng} for {@link #RANDOM}. */
    Tensor initialB(Backend backend, Rng rng, int out, int r) {
        return this == RANDOM ? rng.kaimingUniform(backend, Math.sqrt(5), out, r) : Tensor.zeros(backend, DType.F32, out, r);
    }

    /** Whether B starts at zero (so the adapter starts as a no-op). */
    boolean zeroB() {
        return this != RANDOM;
    }
}
