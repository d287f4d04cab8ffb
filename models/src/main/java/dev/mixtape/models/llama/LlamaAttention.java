package dev.mixtape.models.llama;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.F;
import dev.mixtape.engine.IndependentRows;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.RopeTable;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Layer;
import dev.mixtape.engine.nn.Linear;
import dev.mixtape.engine.nn.Module;

import java.util.List;

/**
 * Grouped-query self-attention of one decoder block: projections {@code q_proj}, {@code k_proj},
 * {@code v_proj}, {@code o_proj} (HF names), RoPE on queries and keys, causal softmax attention.
 */
final class LlamaAttention extends Module {
    private final LlamaConfig config;

    LlamaAttention(LlamaConfig config, Backend backend, Rng rng) {
        this.config = config;
        registerModule("q_proj", new Linear(backend, config.dim(), config.qDim(), false, rng));
        registerModule("k_proj", new Linear(backend, config.dim(), config.kvDim(), false, rng));
        registerModule("v_proj", new Linear(backend, config.dim(), config.kvDim(), false, rng));
        registerModule("o_proj", new Linear(backend, config.qDim(), config.dim(), false, rng));
    }

    /** The projection registered as {@code name}: a Linear, or an adapter that replaced it. */
    private Layer projection(String name) {
        return (Layer) child(name);
    }

    /** Attention over the whole sequence of {@code x [B, T, dim]} (training and prompt processing without a cache). */
    Tensor forward(Tensor x, RopeTable rope) {
        int batch = x.dim(0);
        int seq = x.dim(1);
        Tensor q = F.rope(heads(projection("q_proj").forward(x), batch, seq, config.heads()), rope, 0);
        Tensor k = F.rope(heads(projection("k_proj").forward(x), batch, seq, config.kvHeads()), rope, 0);
        Tensor v = heads(projection("v_proj").forward(x), batch, seq, config.kvHeads());
        return projection("o_proj").forward(merge(F.causalAttention(q, k, v, 0), batch, seq));
    }

    /**
     * Attention of {@code x [1, n, dim]} at positions {@code cache.length()..+n-1}, appending this
     * step's keys and values to {@code cache} and attending over everything cached.
     */
    Tensor forward(Tensor x, RopeTable rope, KvCache.Layer cache) {
        int seq = x.dim(1);
        int position = cache.length();
        Tensor[] qkv = SharedInputLayers.forward(x, projection("q_proj"), projection("k_proj"), projection("v_proj"));
        Tensor q = F.rope(heads(qkv[0], 1, seq, config.heads()), rope, position);
        Tensor k = F.rope(heads(qkv[1], 1, seq, config.kvHeads()), rope, position);
        Tensor v = heads(qkv[2], 1, seq, config.kvHeads());
        cache.append(k, v);
        return projection("o_proj").forward(merge(F.causalAttention(q, cache.keys(), cache.values(), position), 1, seq));
    }

    /**
     * Attention of {@code x [1, N, dim]}, row r the next token of the sequence cached in
     * {@code caches[r]} at that cache's own position: each projection is one product of N rows (the
     * weights read once for all), RoPE and attention run per row over its own cache, each row
     * computing what {@link #forward(Tensor, RopeTable, KvCache.Layer)} computes for it alone; the
     * rows' RoPE and attention are shared out between the backend's threads ({@link IndependentRows}).
     */
    Tensor forwardRows(Tensor x, RopeTable rope, KvCache.Layer[] caches) {
        int rows = caches.length;
        Tensor q = heads(projection("q_proj").forward(x).reshape(rows, 1, config.qDim()), rows, 1, config.heads());
        Tensor k = heads(projection("k_proj").forward(x).reshape(rows, 1, config.kvDim()), rows, 1, config.kvHeads());
        Tensor v = heads(projection("v_proj").forward(x).reshape(rows, 1, config.kvDim()), rows, 1, config.kvHeads());
        Tensor[] attended = new Tensor[rows];
        IndependentRows.forEach(x.backend(), rows, (from, to) -> {
            for (int r = from; r < to; r++) {
                KvCache.Layer cache = caches[r];
                int position = cache.length();
                Tensor qr = F.rope(q.slice(0, r, r + 1), rope, position);
                cache.append(F.rope(k.slice(0, r, r + 1), rope, position), v.slice(0, r, r + 1));
                attended[r] = F.causalAttention(qr, cache.keys(), cache.values(), position);
            }
        });
        return projection("o_proj").forward(merge(F.concat(List.of(attended), 0), rows, 1).reshape(1, rows, config.qDim()));
    }

    /** {@code [B, T, heads·hd]} → {@code [B, heads, T, hd]}. */
    private Tensor heads(Tensor projected, int batch, int seq, int heads) {
        return projected.reshape(batch, seq, heads, config.headDim()).transpose(1, 2).contiguous();
    }

    /** {@code [B, heads, T, hd]} → {@code [B, T, heads·hd]}. */
    private Tensor merge(Tensor perHead, int batch, int seq) {
        return perHead.transpose(1, 2).reshape(batch, seq, config.qDim());
    }
}
