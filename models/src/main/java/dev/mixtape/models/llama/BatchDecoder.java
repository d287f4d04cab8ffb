package dev.mixtape.models.llama;

import dev.mixtape.engine.Grad;
import dev.mixtape.engine.IndependentRows;
import dev.mixtape.engine.RopeTable;
import dev.mixtape.engine.Tensor;

import java.util.List;

/**
 * One decoding step for several sequences at once, the step continuous batching is made of: row r
 * is the next token of {@code sessions[r]}, at that session's own position and attending over its
 * own KV cache, and all rows go through each weight matrix in one product, so that the weights
 * (what decoding spends its time reading) are read once per step for all of them.
 *
 * <p>Each row gets what {@link Llama.Session#forward} gives it alone wherever the model's products
 * give a row the same floats whatever rows share it; RoPE, attention and the cache are per row.
 * Which products those are is the caller's to know (the engine computes products of at most a few
 * rows, and of more rows, by different kernels): a server that wants a request's output not to
 * depend on its company keeps the number of rows on one side of that line.
 */
public final class BatchDecoder {
    private BatchDecoder() {
    }

    /**
     * Feeds {@code tokens[r]} to {@code sessions.get(r)} (all sessions of one model, each with room
     * for one more position) and returns each row's logits. Sessions may not repeat. The work of
     * each row outside the weight products (RoPE, its KV cache, attention, its adapter's update,
     * its logits' copy) is shared out between the backend's threads ({@link IndependentRows}), as the
     * products' columns are.
     */
    public static float[][] step(List<Llama.Session> sessions, int[] tokens) {
        if (sessions.isEmpty() || sessions.size() != tokens.length) {
            throw new IllegalArgumentException(sessions.size() + " sessions for " + tokens.length + " tokens");
        }
        Llama model = sessions.getFirst().model();
        int rows = tokens.length;
        KvCache[] caches = new KvCache[rows];
        int positions = 0;
        for (int r = 0; r < rows; r++) {
            Llama.Session session = sessions.get(r);
            if (session.model() != model) {
                throw new IllegalArgumentException("sessions of different models cannot share a step");
            }
            if (session.position() >= session.capacity()) {
                throw new IllegalStateException("session " + r + " is full: " + session.capacity() + " positions");
            }
            caches[r] = session.cache();
            for (int earlier = 0; earlier < r; earlier++) {
                if (caches[earlier] == caches[r]) {
                    throw new IllegalArgumentException("session " + r + " appears twice in one step");
                }
            }
            positions = Math.max(positions, session.position() + 1);
        }
        LlamaDecoder decoder = model.decoder();
        int dim = model.config().dim();
        try (var scope = Grad.off()) {
            RopeTable table = model.ropeTable().covering(positions);
            Tensor x = decoder.embedTokens.forward(tokens).reshape(1, rows, dim);
            KvCache.Layer[] layerCaches = new KvCache.Layer[rows];
            for (int i = 0; i < decoder.layers.size(); i++) {
                for (int r = 0; r < rows; r++) {
                    layerCaches[r] = caches[r].layer(i);
                }
                x = decoder.layers.get(i).forwardRows(x, table, layerCaches);
            }
            Tensor all = model.logits(decoder.norm.forward(x)).reshape(rows, model.config().vocabSize());
            float[][] logits = new float[rows][];
            IndependentRows.forEach(all.backend(), rows, (from, to) -> {
                for (int r = from; r < to; r++) {
                    logits[r] = all.slice(0, r, r + 1).toFloatArray();
                }
            });
            return logits;
        }
    }
}
