package dev.mixtape.models.llama;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Tensor;

/**
 * Keys and values of the positions processed so far, per layer, for incremental decoding: each new
 * token attends over the cache instead of recomputing the whole prefix. Storage is allocated once,
 * {@code [1, kvHeads, capacity, headDim]} per layer; one cache belongs to one generation.
 */
final class KvCache {
    private final Layer[] layers;

    KvCache(LlamaConfig config, Backend backend, int capacity) {
        layers = new Layer[config.layers()];
        for (int i = 0; i < layers.length; i++) {
            layers[i] = new Layer(Tensor.zeros(backend, DType.F32, 1, config.kvHeads(), capacity, config.headDim()),
                    Tensor.zeros(backend, DType.F32, 1, config.kvHeads(), capacity, config.headDim()));
        }
    }

    Layer layer(int index) {
        return layers[index];
    }

    /** Number of positions cached (the same in every layer after a full step). */
    int length() {
        return layers[0].length;
    }

    /** Positions the cache can hold. */
    int capacity() {
        return layers[0].keys.dim(2);
    }

    /** The cache of one layer. */
    static final class Layer {
        private final Tensor keys;
        private final Tensor values;
        private int length;

        private Layer(Tensor keys, Tensor values) {
            this.keys = keys;
            this.values = values;
        }

        int length() {
            return length;
        }

        /** Stores {@code k, v [1, kvHeads, n, headDim]} at the next n positions. */
        void append(Tensor k, Tensor v) {
            int n = k.dim(2);
            if (length + n > keys.dim(2)) {
                throw new IllegalStateException("KV cache full: " + length + " + " + n + " positions exceed its capacity of " + keys.dim(2));
            }
            keys.slice(2, length, length + n).assign(k);
            values.slice(2, length, length + n).assign(v);
            length += n;
        }

        /** Cached keys {@code [1, kvHeads, length, headDim]} (a view). */
        Tensor keys() {
            return keys.slice(2, 0, length);
        }

        /** Cached values {@code [1, kvHeads, length, headDim]} (a view). */
        Tensor values() {
            return values.slice(2, 0, length);
        }
    }
}
