package dev.mixtape.models.train;

import dev.mixtape.models.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A data file tokenised into {@link TrainingSequence}s of at most {@code seqLen} positions: texts
 * packed by {@link TextPacking}, prompt/completion records encoded one per sequence by
 * {@link PromptCompletionEncoding} (which also keeps them as {@link PromptExample}s for exact-match
 * accuracy). A prompt/completion record whose prompt alone fills the window cannot teach anything;
 * it is left out and counted in {@link #droppedExamples()}; one longer than the window is cut at the
 * right and counted in {@link #cutExamples()}, so that {@link #lengthReport()} can say so.
 */
public final class Dataset implements SequenceSource {
    private final String source;
    private final List<TrainingSequence> sequences;
    private final List<PromptExample> promptExamples;
    private final boolean promptCompletion;
    private final int droppedExamples;
    private final int cutExamples;
    private final int seqLen;

    private Dataset(String source, List<TrainingSequence> sequences, List<PromptExample> promptExamples,
                    boolean promptCompletion, int droppedExamples, int cutExamples, int seqLen) {
        if (sequences.isEmpty()) {
            throw new IllegalArgumentException(source + ": no sequence to train or evaluate on"
                    + (droppedExamples > 0 ? " (every prompt fills the whole window; raise --seq-len)" : " (the text has fewer than two tokens)"));
        }
        this.source = source;
        this.sequences = List.copyOf(sequences);
        this.promptExamples = List.copyOf(promptExamples);
        this.promptCompletion = promptCompletion;
        this.droppedExamples = droppedExamples;
        this.cutExamples = cutExamples;
        this.seqLen = seqLen;
    }

    /** Reads and tokenises {@code file} (see {@link DataFiles}). */
    public static Dataset load(Path file, Tokenizer tokenizer, SpecialIds special, int seqLen) throws IOException {
        return of(file.toString(), DataFiles.read(file), tokenizer, special, seqLen);
    }

    /** Tokenises records that are all of one kind; {@code source} names them in errors. */
    public static Dataset of(String source, List<DataRecord> records, Tokenizer tokenizer, SpecialIds special, int seqLen) {
        if (seqLen < 1) {
            throw new IllegalArgumentException("sequence length must be >= 1, got " + seqLen);
        }
        if (records.stream().allMatch(r -> r instanceof DataRecord.Text)) {
            List<DataRecord.Text> texts = records.stream().map(r -> (DataRecord.Text) r).toList();
            return new Dataset(source, TextPacking.pack(texts, tokenizer, seqLen), List.of(), false, 0, 0, seqLen);
        }
        List<TrainingSequence> sequences = new ArrayList<>();
        List<PromptExample> examples = new ArrayList<>();
        int dropped = 0;
        int cut = 0;
        for (DataRecord record : records) {
            if (!(record instanceof DataRecord.PromptCompletion pair)) {
                throw new IllegalArgumentException(record.origin() + ": a text record among prompt/completion records");
            }
            PromptCompletionEncoding.Encoded encoded = PromptCompletionEncoding.encode(pair, tokenizer, special, seqLen);
            if (encoded.cut()) {
                cut++;
            }
            if (encoded.sequence() == null) {
                dropped++;
            } else {
                sequences.add(encoded.sequence());
                examples.add(encoded.example());
            }
        }
        return new Dataset(source, sequences, examples, true, dropped, cut, seqLen);
    }

    @Override
    public String source() {
        return source;
    }

    /** The sequences, in file order. */
    public List<TrainingSequence> sequences() {
        return sequences;
    }

    @Override
    public int size() {
        return sequences.size();
    }

    @Override
    public int longestSequence() {
        return sequences.stream().mapToInt(TrainingSequence::length).max().orElseThrow();
    }

    @Override
    public List<TrainingSequence> fetch(int[] indices) {
        List<TrainingSequence> rows = new ArrayList<>(indices.length);
        for (int index : indices) {
            rows.add(sequences.get(index));
        }
        return rows;
    }

    /** Whether the records were prompt/completion pairs (so that accuracy means something). */
    public boolean isPromptCompletion() {
        return promptCompletion;
    }

    /** The prompt/completion records kept, in the order of {@link #sequences()}; empty for texts. */
    public List<PromptExample> promptExamples() {
        return promptExamples;
    }

    /** Prompt/completion records left out because their prompt filled the window. */
    public int droppedExamples() {
        return droppedExamples;
    }

    /** Prompt/completion records longer than the window (those left out included), cut at the right. */
    public int cutExamples() {
        return cutExamples;
    }

    /**
     * One line saying how many records were longer than the window and what became of them, or an
     * empty string when every record fitted.
     */
    public String lengthReport() {
        if (cutExamples == 0) {
            return "";
        }
        int total = sequences.size() + droppedExamples;
        return source + ": " + cutExamples + " of " + total + " records are longer than --seq-len " + seqLen
                + " tokens and were cut at the right" + (droppedExamples > 0 ? "; " + droppedExamples
                + " of them, whose prompt alone fills it, were left out" : "");
    }

    /** The number of positions with a target, over all sequences. */
    public long predictedTokens() {
        long total = 0;
        for (TrainingSequence sequence : sequences) {
            total += sequence.predictedTokens();
        }
        return total;
    }
}
