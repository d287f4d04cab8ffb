package dev.mixtape.models.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mixtape.engine.io.StrictJson;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads training data. A file whose name ends in {@code .jsonl} holds one JSON object per line
 * (blank lines are skipped), all of one kind:
 * <ul>
 * <li>{@code {"text": ...}}: texts;</li>
 * <li>{@code {"prompt": ..., "completion": ...}}: prompt/completion pairs;</li>
 * <li>{@code {"instruction": ..., "input": ..., "output": ...}} ({@code input} optional): turned into
 *     prompt/completion pairs by {@link InstructionPrompt}.</li>
 * </ul>
 * Any other file is plain UTF-8 text and is one text record, whole. Errors name the file and line.
 * A line must hold one JSON value and nothing after it, and at most {@value #MAX_LINE_BYTES}
 * bytes; a plain text file at most {@value #MAX_TEXT_BYTES} bytes: either is read in memory
 * bounded by those limits, so a huge or hostile file is refused by name instead of filling the heap.
 */
public final class DataFiles {
    /** The longest JSON Lines record read, in bytes: a few books' worth of text. */
    static final int MAX_LINE_BYTES = 8 << 20;
    /** The largest plain text file read as one record. */
    static final long MAX_TEXT_BYTES = 64L << 20;

    private DataFiles() {
    }

    /** The records of {@code file}; at least one, else an error naming the file. */
    public static List<DataRecord> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": no such data file");
        }
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jsonl")) {
            List<DataRecord> records = readJsonLines(file);
            if (records.isEmpty()) {
                throw new IOException(file + ": no records in the file");
            }
            return records;
        }
        long size = Files.size(file);
        if (size > MAX_TEXT_BYTES) {
            throw new IOException(file + ": " + size + " bytes, more than the " + MAX_TEXT_BYTES
                    + " a plain text file may have; split it into records of a .jsonl file");
        }
        String text = readUtf8(file);
        if (text.isEmpty()) {
            throw new IOException(file + ": the file is empty");
        }
        return List.of(new DataRecord.Text(text, file.toString()));
    }

    private static List<DataRecord> readJsonLines(Path file) throws IOException {
        List<DataRecord> records = new ArrayList<>();
        try (BoundedLines lines = new BoundedLines(file, MAX_LINE_BYTES)) {
            for (String line = lines.next(); line != null; line = lines.next()) {
                if (line.isBlank()) {
                    continue;
                }
                String origin = file + ":" + lines.number();
                DataRecord record = parseLine(line, origin);
                if (!records.isEmpty() && records.getFirst().getClass() != record.getClass()) {
                    throw new IOException(origin + ": a " + kind(record) + " record in a file of " + kind(records.getFirst()) + " records");
                }
                records.add(record);
            }
        }
        return records;
    }

    /**
     * One line of a JSON Lines file as a record, as {@link #read} reads it (not blank); {@code origin}
     * ({@code file:line}) names it in errors. For readers that parse lines where they are read (a Spark
     * cluster's executors).
     */
    public static DataRecord parseLine(String line, String origin) throws IOException {
        JsonNode node;
        try {
            node = StrictJson.parse(line);
        } catch (JsonProcessingException e) {
            // The origin names the line; Jackson's "(line 1, column N)" would name a second one.
            throw new IOException(origin + ": not valid JSON: " + StrictJson.problem(e).replaceFirst(" \\(line \\d+, (column \\d+)\\)$", " ($1)"), e);
        }
        return record(node, origin);
    }

    private static String readUtf8(Path file) throws IOException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new IOException(file + ": not UTF-8 text", e);
        }
    }

    private static DataRecord record(JsonNode node, String origin) throws IOException {
        if (node == null || !node.isObject()) {
            throw new IOException(origin + ": expected a JSON object");
        }
        if (node.has("text")) {
            return new DataRecord.Text(string(node, "text", origin), origin);
        }
        if (node.has("prompt") || node.has("completion")) {
            return new DataRecord.PromptCompletion(string(node, "prompt", origin), string(node, "completion", origin), origin);
        }
        if (node.has("instruction") || node.has("output")) {
            String input = node.has("input") ? string(node, "input", origin) : "";
            return new DataRecord.PromptCompletion(InstructionPrompt.of(string(node, "instruction", origin), input),
                    string(node, "output", origin), origin);
        }
        throw new IOException(origin + ": expected \"text\", \"prompt\"/\"completion\" or \"instruction\"/\"input\"/\"output\", found "
                + node.properties().stream().map(Map.Entry::getKey).toList());
    }

    private static String string(JsonNode node, String key, String origin) throws IOException {
        JsonNode value = node.get(key);
        if (value == null || !value.isTextual()) {
            throw new IOException(origin + ": \"" + key + "\" must be a string" + (value == null ? ", and is missing" : ", got " + value));
        }
        return value.asText();
    }

    private static String kind(DataRecord record) {
        return record instanceof DataRecord.Text ? "text" : "prompt/completion";
    }
}
