package dev.mixtape.models.llama;

/**
 * The shape and constants of a Llama model, whatever file it came from (see {@link ConfigReaders}).
 *
 * @param dim                 hidden size (embedding width)
 * @param hiddenDim           MLP intermediate size
 * @param layers              number of decoder blocks
 * @param heads               query heads
 * @param kvHeads             key/value heads (fewer than {@code heads} for grouped-query attention)
 * @param headDim             width of one head
 * @param vocabSize           vocabulary size
 * @param maxPositions        longest sequence the RoPE table covers
 * @param normEps             RMSNorm epsilon
 * @param ropeTheta           RoPE base θ
 * @param ropeScaling         Llama 3 frequency scaling, or null
 * @param tieWordEmbeddings   whether the output head reuses the token embedding
 * @param bosId               beginning-of-sequence token id (−1 if none)
 * @param eosId               end-of-sequence token id (−1 if none)
 */
public record LlamaConfig(int dim, int hiddenDim, int layers, int heads, int kvHeads, int headDim, int vocabSize,
                          int maxPositions, double normEps, double ropeTheta, RopeScaling ropeScaling,
                          boolean tieWordEmbeddings, int bosId, int eosId) {

    public LlamaConfig {
        requirePositive("dim", dim);
        requirePositive("hiddenDim", hiddenDim);
        requirePositive("layers", layers);
        requirePositive("heads", heads);
        requirePositive("kvHeads", kvHeads);
        requirePositive("headDim", headDim);
        requirePositive("vocabSize", vocabSize);
        requirePositive("maxPositions", maxPositions);
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("config: " + heads + " attention heads are not a multiple of " + kvHeads + " kv heads");
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("config: head dimension " + headDim + " must be even for RoPE");
        }
    }

    private static void requirePositive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("config: " + name + " must be positive, got " + value);
        }
    }

    /** Width of all key (or value) heads together. */
    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Width of all query heads together. */
    public int qDim() {
        return heads * headDim;
    }

    /** RoPE inverse frequencies {@code θ^(−2j/headDim)}, with the Llama 3 scaling applied when configured. */
    public double[] ropeInverseFrequencies() {
        double[] invFreq = new double[headDim / 2];
        for (int j = 0; j < invFreq.length; j++) {
            invFreq[j] = Math.pow(ropeTheta, -2.0 * j / headDim);
        }
        return ropeScaling == null ? invFreq : ropeScaling.apply(invFreq);
    }

    /** Number of parameters of the model with this shape (the tied head counted once). */
    public long parameterCount() {
        long perLayer = (long) dim * qDim() + 2L * dim * kvDim() + (long) qDim() * dim + 3L * dim * hiddenDim + 2L * dim;
        long embedding = (long) vocabSize * dim;
        return embedding + layers * perLayer + dim + (tieWordEmbeddings ? 0 : embedding);
    }
}
