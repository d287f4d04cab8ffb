package dev.mixtape.models.train;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.vector.VectorBackend;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.llama.LlamaConfig;

/** Small Llamas over the {@link CharacterTokenizer}'s vocabulary, quick enough to train in a test. */
public final class TinyModels {
    private TinyModels() {
    }

    /** dim 32, 2 layers, 4 query heads over 2 kv heads, untied head, 64 positions, BOS 0 and EOS 1. */
    public static LlamaConfig config() {
        return new LlamaConfig(32, 64, 2, 4, 2, 8, CharacterTokenizer.VOCAB_SIZE, 64, 1e-5, 10000, null, false, 0, 1);
    }

    /** A model of {@link #config()} with weights drawn from N(0, 0.02²) from {@code seed}, on a one-thread Vector backend. */
    public static Llama random(long seed) {
        Backend backend = new VectorBackend(1);
        Llama model = Llama.random(config(), backend, seed);
        InitialWeights.normal(model, 0.02, seed);
        return model;
    }
}
