package dev.mixtape.spark;

import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.train.DataFiles;
import dev.mixtape.models.train.DataRecord;
import dev.mixtape.models.train.PromptCompletionEncoding;
import dev.mixtape.models.train.SequenceSource;
import dev.mixtape.models.train.SpecialIds;
import dev.mixtape.models.train.TrainingSequence;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Training data that the executors read, tokenise and keep, for data larger than the driver's memory:
 * a JSON Lines file (or a folder of them) at a path or URI every executor can read
 * ({@code hdfs://}, {@code s3a://}, {@code file:///shared/...}), through Spark's own line reader
 * ({@code textFile}, Hadoop's input formats). Each line is parsed as {@link DataFiles#parseLine} parses
 * it and tokenised as a {@link dev.mixtape.models.train.Dataset} tokenises it: texts packed into one
 * stream cut into windows of {@code seqLen}, prompt/completion records one sequence each. The
 * sequences, numbered in the file's order exactly as the driver would number them, stay on the
 * executors (cached, spilling to disk), in contiguous ranges of indices ({@link IndexRanges}); the
 * trainer {@link #fetch}es only each step's rows, so the driver holds a step's batch, never the data.
 */
public final class ExecutorDataset implements SequenceSource {
    private final String source;
    private final JavaPairRDD<Long, SequenceRow> rows;
    private final IndexRanges ranges;
    private final int size;
    private final int longest;
    private final String lengthReport;

    private ExecutorDataset(String source, JavaPairRDD<Long, SequenceRow> rows, IndexRanges ranges, int size, int longest, String lengthReport) {
        this.source = source;
        this.rows = rows;
        this.ranges = ranges;
        this.size = size;
        this.longest = longest;
        this.lengthReport = lengthReport;
    }

    /**
     * Reads {@code uri} on the executors into sequences of at most {@code seqLen} positions; a record
     * that cannot be read fails in one line naming the file and line.
     */
    public static ExecutorDataset read(JavaSparkContext spark, String uri, TokenizerSource tokenizer, SpecialIds special, int seqLen)
            throws IOException {
        return read(spark, uri, tokenizer, special, seqLen, spark.defaultMinPartitions());
    }

    /** As {@link #read(JavaSparkContext, String, TokenizerSource, SpecialIds, int)}, in at least {@code minPartitions} partitions. */
    static ExecutorDataset read(JavaSparkContext spark, String uri, TokenizerSource tokenizer, SpecialIds special, int seqLen, int minPartitions)
            throws IOException {
        if (seqLen < 1) {
            throw new IllegalArgumentException("sequence length must be >= 1, got " + seqLen);
        }
        int bos = special.bos();
        int eos = special.eos();
        JavaRDD<EncodedRecord> encoded = spark.textFile(uri, minPartitions).zipWithIndex()
                .mapPartitions(lines -> encode(lines, uri, tokenizer, new SpecialIds(bos, eos), seqLen).iterator())
                .persist(StorageLevel.MEMORY_AND_DISK());
        try {
            List<PartitionCounts> counts = reading(uri, () -> encoded.mapPartitions(records -> {
                List<EncodedRecord> all = new ArrayList<>();
                records.forEachRemaining(all::add);
                return List.of(PartitionCounts.of(all)).iterator();
            }).collect());
            long texts = counts.stream().mapToLong(PartitionCounts::texts).sum();
            long pairs = counts.stream().mapToLong(PartitionCounts::pairs).sum();
            if (texts > 0 && pairs > 0) {
                throw new IOException(uri + ": holds both text and prompt/completion records; a data file holds one kind");
            }
            if (texts + pairs == 0) {
                throw new IOException(uri + ": no records in the file");
            }
            int partitions = counts.size();
            JavaPairRDD<Long, SequenceRow> rows;
            long size;
            String report = "";
            if (texts > 0) {
                long[] offsets = offsets(counts.stream().mapToLong(PartitionCounts::textTokens).toArray());
                long total = offsets[partitions];
                size = total < 2 ? 0 : (total - 2) / seqLen + 1;
                requireSequences(uri, size, "the text has fewer than two tokens");
                long windows = size;
                IndexRanges ranges = new IndexRanges(partitions, size);
                rows = encoded.mapPartitionsWithIndex((partition, records) -> windowPieces(records, offsets[partition], seqLen, windows).iterator(), true)
                        .mapToPair(piece -> piece).groupByKey(ranges).mapValues(ExecutorDataset::assemble);
            } else {
                long[] offsets = offsets(counts.stream().mapToLong(PartitionCounts::keptPairs).toArray());
                size = offsets[partitions];
                long cut = counts.stream().mapToLong(PartitionCounts::cutPairs).sum();
                long dropped = pairs - size;
                requireSequences(uri, size, "every prompt fills the whole window; raise --seq-len");
                IndexRanges ranges = new IndexRanges(partitions, size);
                rows = encoded.mapPartitionsWithIndex((partition, records) -> numberedPairs(records, offsets[partition]).iterator(), true)
                        .mapToPair(row -> row).partitionBy(ranges);
                if (cut > 0) {
                    report = uri + ": " + cut + " of " + pairs + " records are longer than --seq-len " + seqLen
                            + " tokens and were cut at the right" + (dropped > 0 ? "; " + dropped + " of them, whose prompt alone fills it, were left out" : "");
                }
            }
            if (size > Integer.MAX_VALUE) {
                throw new IOException(uri + ": " + size + " sequences, more than a run can index (" + Integer.MAX_VALUE + ")");
            }
            JavaPairRDD<Long, SequenceRow> cached = rows.persist(StorageLevel.MEMORY_AND_DISK());
            int longest = reading(uri, () -> cached.values().map(row -> row.ids().length).reduce(Math::max));
            return new ExecutorDataset(uri, cached, new IndexRanges(partitions, size), (int) size, longest, report);
        } finally {
            encoded.unpersist(false);
        }
    }

    private static void requireSequences(String uri, long size, String why) throws IOException {
        if (size == 0) {
            throw new IOException(uri + ": no sequence to train on (" + why + ")");
        }
    }

    /** One partition's lines (with their index in the file) parsed and tokenised, blank lines skipped. */
    private static List<EncodedRecord> encode(Iterator<Tuple2<String, Long>> lines, String uri, TokenizerSource source, SpecialIds special,
                                              int seqLen) {
        Tokenizer tokenizer;
        try {
            tokenizer = source.load();
        } catch (IOException e) {
            throw new DataReadException(source.path() + ": cannot load the tokenizer on this executor: " + e.getMessage());
        }
        List<EncodedRecord> records = new ArrayList<>();
        while (lines.hasNext()) {
            Tuple2<String, Long> line = lines.next();
            if (line._1().isBlank()) {
                continue;
            }
            DataRecord record;
            try {
                record = DataFiles.parseLine(line._1(), uri + ":" + (line._2() + 1));
            } catch (IOException e) {
                throw new DataReadException(e.getMessage());
            }
            if (record instanceof DataRecord.Text text) {
                records.add(new EncodedRecord(tokenizer.encode(text.text(), true), null, false));
            } else {
                PromptCompletionEncoding.Encoded pair = PromptCompletionEncoding.encode((DataRecord.PromptCompletion) record, tokenizer, special, seqLen);
                records.add(new EncodedRecord(null, pair.sequence() == null ? null : SequenceRow.of(pair.sequence()), pair.cut()));
            }
        }
        return records;
    }

    /** Each partition's first value's position: the running sums of {@code counts}, with the total last. */
    private static long[] offsets(long[] counts) {
        long[] offsets = new long[counts.length + 1];
        for (int i = 0; i < counts.length; i++) {
            offsets[i + 1] = offsets[i] + counts[i];
        }
        return offsets;
    }

    /** A part of window {@code window}: the tokens from its position {@code start}. */
    private record WindowPiece(int start, int[] tokens) implements Serializable {
    }

    /**
     * The pieces of the packed windows that one partition's texts fall in, their first token at stream
     * position {@code offset}: window w holds the stream's positions wL to wL + L (L + 1 tokens, its
     * ids and its targets shifted by one, fewer for the last), as the driver's packing cuts it.
     */
    private static List<Tuple2<Long, WindowPiece>> windowPieces(Iterator<EncodedRecord> records, long offset, int seqLen, long windows) {
        List<Tuple2<Long, WindowPiece>> pieces = new ArrayList<>();
        long start = offset;
        while (records.hasNext()) {
            int[] tokens = records.next().text();
            long end = start + tokens.length;
            if (tokens.length > 0) {
                long first = Math.max(0, Math.ceilDiv(start - seqLen, seqLen));
                long last = Math.min(windows - 1, (end - 1) / seqLen);
                for (long window = first; window <= last; window++) {
                    long from = Math.max(start, window * seqLen);
                    long to = Math.min(end, window * seqLen + seqLen + 1);
                    if (from < to) {
                        pieces.add(new Tuple2<>(window, new WindowPiece((int) (from - window * seqLen),
                                Arrays.copyOfRange(tokens, (int) (from - start), (int) (to - start)))));
                    }
                }
            }
            start = end;
        }
        return pieces;
    }

    /** A window from its pieces: their tokens in order, the first all but one the ids, the last all but one the targets. */
    private static SequenceRow assemble(Iterable<WindowPiece> pieces) {
        List<WindowPiece> ordered = new ArrayList<>();
        pieces.forEach(ordered::add);
        ordered.sort(Comparator.comparingInt(WindowPiece::start));
        int length = ordered.stream().mapToInt(piece -> piece.tokens().length).sum();
        int[] window = new int[length];
        for (WindowPiece piece : ordered) {
            System.arraycopy(piece.tokens(), 0, window, piece.start(), piece.tokens().length);
        }
        return new SequenceRow(Arrays.copyOfRange(window, 0, length - 1), Arrays.copyOfRange(window, 1, length));
    }

    /** One partition's kept prompt/completion sequences, numbered from {@code offset}. */
    private static List<Tuple2<Long, SequenceRow>> numberedPairs(Iterator<EncodedRecord> records, long offset) {
        List<Tuple2<Long, SequenceRow>> rows = new ArrayList<>();
        long index = offset;
        while (records.hasNext()) {
            SequenceRow row = records.next().pair();
            if (row != null) {
                rows.add(new Tuple2<>(index++, row));
            }
        }
        return rows;
    }

    /** Runs a Spark action over the data, a record that could not be read reported in its own line. */
    private static <T> T reading(String uri, SparkAction<T> action) throws IOException {
        try {
            return action.run();
        } catch (Exception e) {
            throw new IOException(readError(uri, e), e);
        }
    }

    /** The executor's one-line message when a record could not be read, else the first line of Spark's. */
    private static String readError(String uri, Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof DataReadException) {
                return cause.getMessage();
            }
        }
        String message = String.valueOf(error.getMessage());
        String marker = DataReadException.class.getName() + ": ";
        int at = message.indexOf(marker);
        String line = (at >= 0 ? message.substring(at + marker.length()) : message).lines().findFirst().orElse("");
        return at >= 0 ? line : uri + ": reading it on the executors failed: " + line;
    }

    /** A Spark action. */
    @FunctionalInterface
    private interface SparkAction<T> {
        T run();
    }

    @Override
    public String source() {
        return source;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int longestSequence() {
        return longest;
    }

    /** One line saying how many prompt/completion records were cut or left out, or an empty string when every record fitted. */
    public String lengthReport() {
        return lengthReport;
    }

    /** The rows at {@code indices}, from the partitions that hold them only. */
    @Override
    public List<TrainingSequence> fetch(int[] indices) {
        Set<Long> wanted = new HashSet<>();
        Set<Integer> partitions = new TreeSet<>();
        for (int index : indices) {
            wanted.add((long) index);
            partitions.add(ranges.getPartition((long) index));
        }
        List<Tuple2<Long, SequenceRow>>[] found = rows.mapPartitions(partition -> {
            List<Tuple2<Long, SequenceRow>> hits = new ArrayList<>();
            partition.forEachRemaining(row -> {
                if (wanted.contains(row._1())) {
                    hits.add(row);
                }
            });
            return hits.iterator();
        }, true).collectPartitions(partitions.stream().mapToInt(Integer::intValue).toArray());
        Map<Long, SequenceRow> byIndex = new HashMap<>();
        for (List<Tuple2<Long, SequenceRow>> partition : found) {
            partition.forEach(row -> byIndex.put(row._1(), row._2()));
        }
        List<TrainingSequence> sequences = new ArrayList<>(indices.length);
        for (int index : indices) {
            sequences.add(byIndex.get((long) index).toSequence());
        }
        return sequences;
    }
}
