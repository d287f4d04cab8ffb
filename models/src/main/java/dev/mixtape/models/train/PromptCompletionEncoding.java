package dev.mixtape.models.train;

import dev.mixtape.models.tokenizer.Tokenizer;

import java.util.Arrays;

/**
 * Encodes a prompt/completion record as {@code BOS + prompt + completion + EOS} (prompt and
 * completion tokenised apart, without the tokenizer's own special tokens), truncated at the right to
 * {@code seqLen + 1} tokens. Only positions that predict a completion token or the EOS have a
 * target; the prompt's are {@link TrainingSequence#IGNORE}. Public for readers that tokenise records
 * where they are read (a Spark cluster's executors), as {@link Dataset} does.
 */
public final class PromptCompletionEncoding {
    /**
     * A record encoded for training and for exact-match accuracy; {@code sequence} is null when nothing
     * of the completion fits, and {@code cut} says whether the record was longer than the window.
     */
    public record Encoded(TrainingSequence sequence, PromptExample example, boolean cut) {
    }

    private PromptCompletionEncoding() {
    }

    /** {@code record} encoded into at most {@code seqLen} positions. */
    public static Encoded encode(DataRecord.PromptCompletion record, Tokenizer tokenizer, SpecialIds special, int seqLen) {
        int[] prompt = append(new int[] {special.bos()}, tokenizer.encode(record.prompt(), false));
        int[] completion = append(tokenizer.encode(record.completion(), false), special.eos());
        PromptExample example = new PromptExample(prompt, record.completion(), completion.length);
        int tokens = Math.min(prompt.length + completion.length, seqLen + 1);
        boolean cut = prompt.length + completion.length > seqLen + 1;
        if (tokens <= prompt.length) {
            return new Encoded(null, example, cut);
        }
        int[] all = append(prompt, completion);
        int[] ids = Arrays.copyOfRange(all, 0, tokens - 1);
        int[] targets = Arrays.copyOfRange(all, 1, tokens);
        Arrays.fill(targets, 0, prompt.length - 1, TrainingSequence.IGNORE);
        return new Encoded(new TrainingSequence(ids, targets), example, cut);
    }

    private static int[] append(int[] head, int... tail) {
        int[] out = Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, out, head.length, tail.length);
        return out;
    }
}
