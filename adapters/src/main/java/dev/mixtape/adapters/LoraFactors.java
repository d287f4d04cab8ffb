package dev.mixtape.adapters;

import dev.mixtape.engine.Tensor;

/**
 * The matrices of one adapter on one Linear layer before they become parameters: {@code a [r, in]},
 * {@code mixer [r, r]} (null for plain LoRA) and {@code b [out, r]}.
 */
record LoraFactors(Tensor a, Tensor mixer, Tensor b) {
}
