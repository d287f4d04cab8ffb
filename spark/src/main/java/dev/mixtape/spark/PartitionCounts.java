package dev.mixtape.spark;

import java.io.Serializable;
import java.util.List;

/**
 * What one partition of a data file holds once tokenised, for the driver to number the sequences
 * across partitions: its text records and their tokens, its prompt/completion records, those kept,
 * those cut and those dropped (a prompt that fills the window).
 */
record PartitionCounts(long texts, long textTokens, long pairs, long keptPairs, long cutPairs) implements Serializable {

    static PartitionCounts of(List<EncodedRecord> records) {
        long texts = 0;
        long tokens = 0;
        long pairs = 0;
        long kept = 0;
        long cut = 0;
        for (EncodedRecord record : records) {
            if (record.isText()) {
                texts++;
                tokens += record.text().length;
            } else {
                pairs++;
                kept += record.pair() != null ? 1 : 0;
                cut += record.cut() ? 1 : 0;
            }
        }
        return new PartitionCounts(texts, tokens, pairs, kept, cut);
    }
}
