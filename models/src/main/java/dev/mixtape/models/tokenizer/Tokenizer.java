package dev.mixtape.models.tokenizer;

import java.util.OptionalInt;

/**
 * Turns text into token ids and back. Implementations follow a reference exactly: llama2.c's run.c
 * ({@link Llama2cTokenizer}), SentencePiece BPE as stored in GGUF ({@link SentencePieceTokenizer}),
 * and Hugging Face {@code tokenizer.json} BPE ({@link HfBpeTokenizer}). {@link Tokenizers#load} picks
 * one by file. Instances are immutable and safe to share between threads.
 */
public interface Tokenizer {

    /**
     * The ids of {@code text}.
     *
     * @param addSpecial whether to add the tokens the format adds around a text (BOS for llama2.c and
     *                   SentencePiece, the post-processor's template for tokenizer.json)
     */
    int[] encode(String text, boolean addSpecial);

    /** The text of {@code ids}: the concatenation of a {@link #newStreamingDecoder() streaming decode}. */
    default String decode(int[] ids) {
        StreamingDecoder decoder = newStreamingDecoder();
        StringBuilder text = new StringBuilder();
        for (int id : ids) {
            text.append(decoder.next(id));
        }
        return text.append(decoder.finish()).toString();
    }

    /** A fresh decoder that turns ids into text one at a time, as a model generates them. */
    StreamingDecoder newStreamingDecoder();

    /** The id of the beginning-of-sequence token, when the file names one. */
    OptionalInt bosId();

    /** The id of the end-of-sequence token, when the file names one. */
    OptionalInt eosId();

    /** The number of ids: one more than the largest id. */
    int vocabSize();
}
