package dev.mixtape.adapters;

import dev.mixtape.engine.F;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Module;

/**
 * One matrix of a low-rank branch (LoRA's A or B, MoSLoRA's mixer): the bias-free map {@code x·Wᵀ}
 * with its matrix registered as parameter {@code weight}, as PEFT's bias-free {@code nn.Linear}s are.
 * Not a {@link dev.mixtape.engine.nn.Linear}, so that target rules never mistake it for a layer to adapt.
 */
final class Factor extends Module {
    Factor(Tensor weight) {
        registerParameter("weight", weight);
    }

    Tensor weight() {
        return parameter("weight");
    }

    Tensor forward(Tensor x) {
        return F.linear(x, weight(), null);
    }
}
