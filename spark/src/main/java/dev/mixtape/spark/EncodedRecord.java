package dev.mixtape.spark;

import java.io.Serializable;

/**
 * One record of a data file as an executor tokenised it: a text's tokens, to be packed, or a
 * prompt/completion record's sequence (null when its prompt fills the window).
 *
 * @param text   a text's tokens, with the tokenizer's special tokens; null for a prompt/completion record
 * @param pair   a prompt/completion record's sequence, or null
 * @param cut    whether the prompt/completion record was longer than the window
 */
record EncodedRecord(int[] text, SequenceRow pair, boolean cut) implements Serializable {

    boolean isText() {
        return text != null;
    }
}
