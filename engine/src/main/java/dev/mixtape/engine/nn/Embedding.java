package dev.mixtape.engine.nn;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.F;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;

/**
 * A lookup table of {@code numEmbeddings} vectors of size {@code embeddingDim}, like PyTorch's
 * {@code nn.Embedding}: parameter {@code weight} is {@code [numEmbeddings, embeddingDim]},
 * initialised from N(0, 1) as PyTorch does.
 */
public final class Embedding extends Module {
    /** A table on {@code backend} drawn from N(0, 1) with {@code rng}, or a stand-in for a loader when it is null ({@link #registerUnloaded}). */
    public Embedding(Backend backend, int numEmbeddings, int embeddingDim, Rng rng) {
        if (numEmbeddings <= 0 || embeddingDim <= 0) {
            throw new IllegalArgumentException("Embedding needs positive sizes, got numEmbeddings=" + numEmbeddings
                    + ", embeddingDim=" + embeddingDim);
        }
        if (rng == null) {
            registerUnloaded("weight", backend, numEmbeddings, embeddingDim);
        } else {
            registerParameter("weight", rng.normal(backend, 0, 1, numEmbeddings, embeddingDim));
        }
    }

    /** The rows for {@code ids}: {@code [ids.length, embeddingDim]}. */
    public Tensor forward(int[] ids) {
        return F.embedding(weight(), ids);
    }

    /** The table {@code [numEmbeddings, embeddingDim]}. */
    public Tensor weight() {
        return parameter("weight");
    }
}
