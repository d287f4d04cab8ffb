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

    /** More layers or heads than any model has: a corrupt field, refused before anything is built for it. */
    static final int MAX_LAYERS_OR_HEADS = 1 << 16;

    /** The most elements one weight matrix may have: it is held in one Java array. */
    static final long MAX_MATRIX_ELEMENTS = Integer.MAX_VALUE - 8;

    /**
     * Checks every field's range and that every weight matrix this shape implies fits in one array;
     * messages name the field as a Hugging Face {@code config.json} spells it.
     */
    public LlamaConfig {
        requireInRange("hidden_size", dim, 1, Integer.MAX_VALUE);
        requireInRange("intermediate_size", hiddenDim, 1, Integer.MAX_VALUE);
        requireInRange("num_hidden_layers", layers, 1, MAX_LAYERS_OR_HEADS);
        requireInRange("num_attention_heads", heads, 1, MAX_LAYERS_OR_HEADS);
        requireInRange("num_key_value_heads", kvHeads, 1, heads);
        requireInRange("head_dim", headDim, 1, Integer.MAX_VALUE);
        requireInRange("vocab_size", vocabSize, 1, Integer.MAX_VALUE);
        requireInRange("max_position_embeddings", maxPositions, 1, Integer.MAX_VALUE);
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim " + headDim + " must be even for RoPE");
        }
        long qDim = (long) heads * headDim;
        requireMatrix("num_attention_heads × head_dim", qDim, "hidden_size", dim);
        requireMatrix("vocab_size", vocabSize, "hidden_size", dim);
        requireMatrix("intermediate_size", hiddenDim, "hidden_size", dim);
        if (!(normEps > 0 && Double.isFinite(normEps))) {
            throw new IllegalArgumentException("rms_norm_eps must be positive and finite, got " + normEps);
        }
        if (!(ropeTheta > 0 && Double.isFinite(ropeTheta))) {
            throw new IllegalArgumentException("rope_theta must be positive and finite, got " + ropeTheta);
        }
        requireInRange("bos_token_id", bosId, -1, vocabSize - 1);
        requireInRange("eos_token_id", eosId, -1, vocabSize - 1);
    }

    private static void requireInRange(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be in " + min + ".." + max + ", got " + value);
        }
    }

    /** Refuses a {@code rows × cols} weight matrix too large for one array (or whose row count overflowed an int). */
    private static void requireMatrix(String rowsName, long rows, String colsName, int cols) {
        if (rows > MAX_MATRIX_ELEMENTS / cols) {
            throw new IllegalArgumentException(rowsName + " × " + colsName + " = " + rows + " × " + cols
                    + " is more elements than one weight matrix can hold (" + MAX_MATRIX_ELEMENTS + ")");
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
