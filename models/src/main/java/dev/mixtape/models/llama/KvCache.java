package dev.mixtape.models.llama;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Tensor;

/**
 * Keys and values of the positions processed so far, per layer, for incremental decoding: each new
 * token attends over the cache instead of recomputing the whole prefix. Storage is
 * {@code [1, kvHeads, allocated, headDim]} per layer, allocated for the positions used so far and
 * doubled as they grow, up to the session's capacity, so that a generous capacity costs nothing until
 * it is used; one cache belongs to one generation.
 */
final class KvCache {
    /** Positions allocated at first (or the capacity, if smaller). */
    private static final int FIRST_POSITIONS = 64;

    private final Layer[] layers;
    private final int capacity;

    KvCache(LlamaConfig config, Backend backend, int capacity) {
        this.capacity = capacity;
        layers = new Layer[config.layers()];
        for (int i = 0; i < layers.length; i++) {
            layers[i] = new Layer(backend, config.kvHeads(), config.headDim(), capacity, Math.min(capacity, FIRST_POSITIONS));
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
        return capacity;
    }

    /** The cache of one layer. */
    static final class Layer {
        private final Backend backend;
        private final int capacity;
        private Tensor keys;
        private Tensor values;
        private int length;

        private Layer(Backend backend, int kvHeads, int headDim, int capacity, int allocated) {
            this.backend = backend;
            this.capacity = capacity;
            keys = Tensor.zeros(backend, DType.F32, 1, kvHeads, allocated, headDim);
            values = Tensor.zeros(backend, DType.F32, 1, kvHeads, allocated, headDim);
        }

        int length() {
            return length;
        }

        /** Stores {@code k, v [1, kvHeads, n, headDim]} at the next n positions. */
        void append(Tensor k, Tensor v) {
            int n = k.dim(2);
            if (length + n > capacity) {
                throw new IllegalStateException("KV cache full: " + length + " + " + n + " positions exceed its capacity of " + capacity);
            }
            if (length + n > keys.dim(2)) {
                int allocated = (int) Math.min(capacity, Math.max(length + n, 2L * keys.dim(2)));
                keys = grown(keys, allocated);
                values = grown(values, allocated);
            }
            keys.slice(2, length, length + n).assign(k);
            values.slice(2, length, length + n).assign(v);
            length += n;
        }

        /** A copy of {@code cached} with room for {@code allocated} positions, the first {@code length} kept. */
        private Tensor grown(Tensor cached, int allocated) {
            Tensor larger = Tensor.zeros(backend, DType.F32, 1, cached.dim(1), allocated, cached.dim(3));
            larger.slice(2, 0, length).assign(cached.slice(2, 0, length));
            return larger;
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
