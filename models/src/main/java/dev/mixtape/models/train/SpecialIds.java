package dev.mixtape.models.train;

import dev.mixtape.models.llama.LlamaConfig;
import dev.mixtape.models.tokenizer.Tokenizer;

/**
 * The beginning- and end-of-sequence ids training uses: the tokenizer's, else the model config's
 * (as generation does).
 */
public record SpecialIds(int bos, int eos) {

    /** The tokenizer's BOS and EOS, falling back on the config's; an error when neither names one. */
    public static SpecialIds of(Tokenizer tokenizer, LlamaConfig config) {
        int bos = tokenizer.bosId().orElse(config.bosId());
        int eos = tokenizer.eosId().orElse(config.eosId());
        if (bos < 0 || eos < 0) {
            throw new IllegalArgumentException("neither the tokenizer nor the model config names a "
                    + (bos < 0 ? "beginning" : "end") + "-of-sequence token");
        }
        return new SpecialIds(bos, eos);
    }
}
