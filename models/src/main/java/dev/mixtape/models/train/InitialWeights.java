package dev.mixtape.models.train;

import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Module;

/**
 * Hugging Face's initialisation of a Llama for pretraining ({@code _init_weights} with
 * {@code initializer_range}): every weight matrix drawn from N(0, std²), norm weights left at one.
 * PyTorch's layer defaults, which {@code Llama.random} uses, draw embeddings from N(0, 1), which with
 * a tied output head makes the first logits huge.
 */
public final class InitialWeights {
    private InitialWeights() {
    }

    /** Redraws every parameter of rank 2 or more of {@code model} in place, in name order, from {@code seed}. */
    public static void normal(Module model, double std, long seed) {
        Rng rng = new Rng(seed);
        for (Tensor parameter : model.parameters()) {
            if (parameter.rank() >= 2) {
                parameter.assign(rng.normal(parameter.backend(), 0, std, parameter.shape()));
            }
        }
    }
}
