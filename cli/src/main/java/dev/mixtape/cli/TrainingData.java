package dev.mixtape.cli;

import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.train.DataFiles;
import dev.mixtape.models.train.DataRecord;
import dev.mixtape.models.train.Dataset;
import dev.mixtape.models.train.HeldOutSplit;
import dev.mixtape.models.train.SpecialIds;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The training and held-out data of a training command: the held-out data from its own file when
 * there is one, else a {@link HeldOutSplit} of the training file.
 *
 * @param train the training sequences
 * @param eval  the held-out sequences, or null when nothing could be held out
 */
record TrainingData(Dataset train, Dataset eval) {

    /** Reads and tokenises the files into windows of {@code seqLen}; {@code evalFile} may be null. */
    static TrainingData load(Path trainFile, Path evalFile, Tokenizer tokenizer, SpecialIds special, int seqLen, long seed) throws IOException {
        List<DataRecord> trainRecords = DataFiles.read(trainFile);
        List<DataRecord> evalRecords;
        String evalSource;
        if (evalFile != null) {
            evalRecords = DataFiles.read(evalFile);
            evalSource = evalFile.toString();
        } else {
            HeldOutSplit split = HeldOutSplit.of(trainRecords, seed);
            trainRecords = split.train();
            evalRecords = split.heldOut();
            evalSource = trainFile + " (held out)";
        }
        Dataset train = Dataset.of(trainFile.toString(), trainRecords, tokenizer, special, seqLen);
        Dataset eval = evalRecords.isEmpty() ? null : Dataset.of(evalSource, evalRecords, tokenizer, special, seqLen);
        return new TrainingData(train, eval);
    }

    /** Says on stderr, one line per data set, how many records were longer than the window (nothing when all fitted). */
    void reportLengths(String command) {
        for (Dataset dataset : new Dataset[] {train, eval}) {
            if (dataset != null && !dataset.lengthReport().isEmpty()) {
                System.err.println(command + ": " + dataset.lengthReport());
            }
        }
    }

    /** The window length: {@code requested} if given (at most the model's positions), else the smaller of {@code preferred} and the positions. */
    static int seqLen(Integer requested, int preferred, int positions) {
        if (requested != null && requested > positions) {
            throw new IllegalArgumentException("--seq-len " + requested + " exceeds the model's " + positions + " positions");
        }
        return requested != null ? requested : Math.min(preferred, positions);
    }
}
