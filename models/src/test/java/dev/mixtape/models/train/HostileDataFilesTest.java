package dev.mixtape.models.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Data files mutated from the bundled {@code add} task: a line with more than one JSON value, a line of
 * tens of MB, bytes that are not UTF-8 are refused naming {@code file:line}; records longer than the
 * window are counted, not cut silently.
 */
class HostileDataFilesTest {
    @TempDir
    Path folder;

    /** A copy of the bundled add task's training file, its line {@code line} (1-based) replaced by {@code replacement}. */
    private Path addTaskWithLine(int line, String replacement) throws IOException {
        Path bundled = null;
        for (Path dir = Path.of("").toAbsolutePath(); dir != null && bundled == null; dir = dir.getParent()) {
            Path candidate = dir.resolve("testdata/src/main/resources/dev/mixtape/testdata/tasks/add/train.jsonl");
            bundled = Files.isRegularFile(candidate) ? candidate : null;
        }
        assertTrue(bundled != null, "the bundled add task is not found above " + Path.of("").toAbsolutePath());
        List<String> lines = new ArrayList<>(Files.readAllLines(bundled));
        lines.set(line - 1, replacement.replace("$", lines.get(line - 1)));
        Path copy = folder.resolve("train.jsonl");
        Files.write(copy, lines);
        return copy;
    }

    /** What a lenient reader would take as the first value (dropping the rest) is refused naming the file and line. */
    @ParameterizedTest
    @ValueSource(strings = {"$ $", "$ {\"prompt\": \"x\", \"completion\": \"y\"}", "$ garbage", "$,", "$]"})
    void aLineWithMoreThanOneValueIsRefused(String mutation) throws IOException {
        Path file = addTaskWithLine(7, mutation);
        IOException e = assertThrows(IOException.class, () -> DataFiles.read(file));
        assertTrue(e.getMessage().startsWith(file + ":7: not valid JSON"), e.getMessage());
    }

    /** A line of 40 MB is refused by name once the limit is passed, without being read whole. */
    @Test
    void aHugeLineIsRefusedByName() throws IOException {
        Path file = addTaskWithLine(3, "$");
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND)) {
            out.write("{\"prompt\": \"");
            char[] block = new char[1 << 20];
            Arrays.fill(block, 'x');
            for (int i = 0; i < 40; i++) {
                out.write(block);
            }
            out.write("\", \"completion\": \"y\"}\n");
        }
        int hugeLine = Files.readAllLines(file).size();
        IOException e = assertThrows(IOException.class, () -> DataFiles.read(file));
        assertTrue(e.getMessage().startsWith(file + ":" + hugeLine + ": the line is longer than " + DataFiles.MAX_LINE_BYTES), e.getMessage());
    }

    /** A byte that is not UTF-8 is refused naming the line it is on. */
    @Test
    void bytesThatAreNotUtf8AreRefusedNamingTheLine() throws IOException {
        Path file = addTaskWithLine(2, "$");
        byte[] bytes = Files.readAllBytes(file);
        int secondLine = new String(bytes, StandardCharsets.ISO_8859_1).indexOf('\n') + 3;
        bytes[secondLine] = (byte) 0xFF;
        Files.write(file, bytes);
        IOException e = assertThrows(IOException.class, () -> DataFiles.read(file));
        assertTrue(e.getMessage().startsWith(file + ":2: not UTF-8"), e.getMessage());
    }

    /** Lines ending in CRLF and a last line without a newline read as the same records as the original. */
    @Test
    void lineEndingsDoNotChangeTheRecords() throws IOException {
        Path file = addTaskWithLine(1, "$");
        List<DataRecord> original = DataFiles.read(file);
        String text = Files.readString(file).replace("\n", "\r\n").stripTrailing();
        Files.writeString(file, text);
        assertEquals(original, DataFiles.read(file));
    }

    /**
     * Records longer than the window are counted and reported, those whose prompt alone fills it as
     * left out as well; a window that fits them all reports nothing.
     */
    @Test
    void recordsLongerThanTheWindowAreReported() throws IOException {
        Path file = addTaskWithLine(1, "{\"prompt\": \"Hi\", \"completion\": \" a completion longer than the window\"}");
        List<DataRecord> records = DataFiles.read(file).subList(0, 10);
        SpecialIds special = new SpecialIds(1, 2);
        Dataset fits = Dataset.of("train.jsonl", records, CharacterTokenizer.create(), special, 64);
        assertEquals(0, fits.cutExamples());
        assertEquals("", fits.lengthReport());

        int window = 24;
        long longer = records.stream().map(r -> (DataRecord.PromptCompletion) r).filter(r -> 1 + CharacterTokenizer.create()
                .encode(r.prompt(), false).length + CharacterTokenizer.create().encode(r.completion(), false).length + 1 > window + 1).count();
        assertTrue(longer > 1 && longer < 10, "the window should cut some records, not all: " + longer);
        Dataset cut = Dataset.of("train.jsonl", records, CharacterTokenizer.create(), special, window);
        assertEquals(longer, cut.cutExamples());
        assertEquals("train.jsonl: " + longer + " of 10 records are longer than --seq-len 24 tokens and were cut at the right", cut.lengthReport());

        Dataset dropped = Dataset.of("train.jsonl", records, CharacterTokenizer.create(), special, 20);
        assertEquals(1, dropped.sequences().size());
        assertEquals("train.jsonl: 10 of 10 records are longer than --seq-len 20 tokens and were cut at the right; 9 of them, "
                + "whose prompt alone fills it, were left out", dropped.lengthReport());
    }
}
