package dev.mixtape.spark;

import dev.mixtape.engine.SharedFiles;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.tokenizer.Tokenizers;
import dev.mixtape.models.train.DataFiles;
import dev.mixtape.models.train.Dataset;
import dev.mixtape.models.train.SpecialIds;
import dev.mixtape.models.train.TrainingSequence;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Data read by Spark's executors against the same file read by the driver ({@link Dataset}): the
 * sequences must be the same, in the same order, whichever partition a record and a window fall in.
 * The file is read in three partitions and the window is short, so packed windows span records and
 * partitions: a window cut at the wrong place, a piece out of order, an off-by-one in the numbering or a
 * partition's offset would change a sequence.
 */
class ExecutorDatasetTest {
    private static final int SEQ_LEN = 16;
    private static JavaSparkContext spark;
    private static Tokenizer tokenizer;
    private static TokenizerSource tokenizerSource;
    private static SpecialIds special;

    @TempDir
    Path folder;

    @BeforeEach
    void startSpark() throws IOException {
        if (spark == null) {
            Path tokenizerFile = SharedFiles.require("models/stories260K/tok512.bin");
            tokenizer = Tokenizers.load(tokenizerFile);
            tokenizerSource = TokenizerSource.file(tokenizerFile);
            special = new SpecialIds(1, 2);
            spark = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("ExecutorDatasetTest").set("spark.ui.enabled", "false"));
        }
    }

    @AfterAll
    static void stopSpark() {
        if (spark != null) {
            spark.close();
        }
    }

    @Test
    void packedTextsAreTheDriversWindowsAcrossRecordsAndPartitions() throws IOException {
        Path file = write("texts.jsonl", IntStream.range(0, 14).mapToObj(i -> "{\"text\": \"Story " + i + ": the frog sang"
                + " about cheese ".repeat(i % 4) + "on the moon.\"}").toList());
        Dataset driver = Dataset.load(file, tokenizer, special, SEQ_LEN);
        ExecutorDataset executors = ExecutorDataset.read(spark, file.toUri().toString(), tokenizerSource, special, SEQ_LEN, 3);

        assertSameSequences(driver, executors);
    }

    @Test
    void promptCompletionRecordsAreTheDriversSequencesWithTheirLengthReport() throws IOException {
        String longPrompt = "the purple robot ".repeat(8);
        Path file = write("pairs.jsonl", List.of(
                "{\"prompt\": \"2+2=\", \"completion\": \"4\"}",
                "",
                "{\"prompt\": \"" + longPrompt + "\", \"completion\": \"left out\"}",
                "{\"prompt\": \"Zog\", \"completion\": \" sang a song about cheese on the moon every night\"}",
                "{\"instruction\": \"Reverse\", \"input\": \"abc\", \"output\": \"cba\"}",
                "{\"prompt\": \"1+1=\", \"completion\": \"2\"}"));
        Dataset driver = Dataset.load(file, tokenizer, special, SEQ_LEN);
        String uri = file.toUri().toString();
        ExecutorDataset executors = ExecutorDataset.read(spark, uri, tokenizerSource, special, SEQ_LEN, 3);

        assertSameSequences(driver, executors);
        assertEquals(driver.lengthReport().replace(file.toString(), uri), executors.lengthReport());
    }

    /** A bad line fails the read in one line naming the file and the line, as the driver's reader names it. */
    @Test
    void aBadLineIsOneLineNamingTheFileAndLine() throws IOException {
        Path file = write("bad.jsonl", List.of("{\"text\": \"fine\"}", "{\"text\": \"fine\"}", "{\"text\": 3}"));
        String uri = file.toUri().toString();
        IOException error = assertThrows(IOException.class, () -> ExecutorDataset.read(spark, uri, tokenizerSource, special, SEQ_LEN, 2));
        assertEquals(uri + ":3: \"text\" must be a string, got 3", error.getMessage());
    }

    private static void assertSameSequences(Dataset driver, ExecutorDataset executors) {
        assertEquals(driver.size(), executors.size());
        assertEquals(driver.longestSequence(), executors.longestSequence());
        int[] all = IntStream.range(0, driver.size()).toArray();
        int[] shuffled = IntStream.range(0, driver.size()).map(i -> (i * 7 + 3) % driver.size()).toArray();
        for (int[] indices : new int[][] {all, shuffled}) {
            List<TrainingSequence> expected = driver.fetch(indices);
            List<TrainingSequence> actual = executors.fetch(indices);
            for (int i = 0; i < indices.length; i++) {
                assertArrayEquals(expected.get(i).ids(), actual.get(i).ids(), "ids of sequence " + indices[i]);
                assertArrayEquals(expected.get(i).targets(), actual.get(i).targets(), "targets of sequence " + indices[i]);
            }
        }
    }

    private Path write(String name, List<String> lines) throws IOException {
        return Files.write(folder.resolve(name), lines);
    }
}
