package dev.mixtape.models.train;

import dev.mixtape.models.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Packs texts for language modelling: each text is encoded with the tokenizer's special tokens (as
 * {@code mixtape tokenize --add-special} does, so usually BOS first), the texts are concatenated
 * into one stream, and the stream is cut into windows of {@code seqLen + 1} tokens that overlap by
 * one token. A window's first {@code seqLen} tokens are the ids and its last {@code seqLen} the
 * targets, so every token of the stream but the first is predicted exactly once. The last window
 * may be shorter; a text shorter than the window is one sequence of its own ids.
 */
final class TextPacking {
    private TextPacking() {
    }

    static List<TrainingSequence> pack(List<DataRecord.Text> texts, Tokenizer tokenizer, int seqLen) {
        int total = 0;
        List<int[]> encoded = new ArrayList<>();
        for (DataRecord.Text text : texts) {
            int[] ids = tokenizer.encode(text.text(), true);
            encoded.add(ids);
            total += ids.length;
        }
        int[] stream = new int[total];
        int at = 0;
        for (int[] ids : encoded) {
            System.arraycopy(ids, 0, stream, at, ids.length);
            at += ids.length;
        }
        List<TrainingSequence> windows = new ArrayList<>();
        for (int start = 0; start + 1 < stream.length; start += seqLen) {
            int length = Math.min(seqLen, stream.length - 1 - start);
            int[] ids = new int[length];
            int[] targets = new int[length];
            System.arraycopy(stream, start, ids, 0, length);
            System.arraycopy(stream, start + 1, targets, 0, length);
            windows.add(new TrainingSequence(ids, targets));
        }
        return windows;
    }
}
