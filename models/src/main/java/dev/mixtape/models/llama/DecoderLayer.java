package dev.mixtape.models.llama;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.RopeTable;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Module;
import dev.mixtape.engine.nn.RMSNorm;

/**
 * One Llama block: {@code x += attn(input_layernorm(x))}, then {@code x += mlp(post_attention_layernorm(x))}.
 */
final class DecoderLayer extends Module {
    private final LlamaAttention attention;
    private final LlamaMlp mlp;
    private final RMSNorm inputNorm;
    private final RMSNorm postAttentionNorm;

    DecoderLayer(LlamaConfig config, Backend backend, Rng rng) {
        attention = registerModule("self_attn", new LlamaAttention(config, backend, rng));
        mlp = registerModule("mlp", new LlamaMlp(config, backend, rng));
        inputNorm = registerModule("input_layernorm", new RMSNorm(backend, config.dim(), config.normEps()));
        postAttentionNorm = registerModule("post_attention_layernorm", new RMSNorm(backend, config.dim(), config.normEps()));
    }

    Tensor forward(Tensor x, RopeTable rope) {
        Tensor h = x.add(attention.forward(inputNorm.forward(x), rope));
        return h.add(mlp.forward(postAttentionNorm.forward(h)));
    }

    Tensor forward(Tensor x, RopeTable rope, KvCache.Layer cache) {
        Tensor h = x.add(attention.forward(inputNorm.forward(x), rope, cache));
        return h.add(mlp.forward(postAttentionNorm.forward(h)));
    }

    /** One token for each of several sequences, row r at the position of {@code caches[r]} (see {@link LlamaAttention#forwardRows}). */
    Tensor forwardRows(Tensor x, RopeTable rope, KvCache.Layer[] caches) {
        Tensor h = x.add(attention.forwardRows(inputNorm.forward(x), rope, caches));
        return h.add(mlp.forward(postAttentionNorm.forward(h)));
    }
}
