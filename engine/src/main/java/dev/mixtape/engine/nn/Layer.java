package dev.mixtape.engine.nn;

import dev.mixtape.engine.Tensor;

/**
 * A module that maps one tensor to another, such as {@link Linear}. Models call their projections
 * through this interface so that an adapter (a LoRA wrapping a Linear) can take a layer's place.
 */
public interface Layer {
    /** The layer's output for {@code x}. */
    Tensor forward(Tensor x);
}
