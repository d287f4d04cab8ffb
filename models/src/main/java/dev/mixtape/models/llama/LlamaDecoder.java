package dev.mixtape.models.llama;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.nn.Embedding;
import dev.mixtape.engine.nn.Module;
import dev.mixtape.engine.nn.ModuleList;
import dev.mixtape.engine.nn.RMSNorm;

/** The {@code model.} part of a Llama: token embedding, the decoder blocks and the final norm. */
final class LlamaDecoder extends Module {
    final Embedding embedTokens;
    final ModuleList<DecoderLayer> layers;
    final RMSNorm norm;

    LlamaDecoder(LlamaConfig config, Backend backend, Rng rng) {
        embedTokens = registerModule("embed_tokens", new Embedding(backend, config.vocabSize(), config.dim(), rng));
        layers = registerModule("layers", new ModuleList<>());
        for (int i = 0; i < config.layers(); i++) {
            layers.add(new DecoderLayer(config, backend, rng));
        }
        norm = registerModule("norm", new RMSNorm(backend, config.dim(), config.normEps()));
    }
}
