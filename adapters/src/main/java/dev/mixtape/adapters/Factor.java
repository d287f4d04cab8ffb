package dev.mixtape.adapters;

import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Module;

/**
 * One matrix of a low-rank branch (LoRA's A or B, MoSLoRA's mixer), registered as parameter
 * {@code weight} as in PEFT's bias-free {@code nn.Linear}s, so that names and files match PEFT's.
 * Not a {@link dev.mixtape.engine.nn.Linear}, so that target rules never mistake it for a layer to adapt.
 */
final class Factor extends Module {
    Factor(Tensor weight) {
        registerParameter("weight", weight);
    }

    Tensor weight() {
        return parameter("weight");
    }
}
