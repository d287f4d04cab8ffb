package dev.mixtape.adapters;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.CharConversionException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the small JSON files a model or adapter folder holds ({@code config.json}, an index, an
 * adapter's or a MoLE's config) strictly: exactly one JSON value per file (a second value or garbage
 * after it is an error), no key twice in one object, and a size limit checked before anything is
 * read, so a hostile file fails in one line instead of being half-read or filling the heap.
 */
public final class StrictJson {
    /** Larger than any real config or shard index by three orders of magnitude. */
    public static final long MAX_FILE_BYTES = 16L << 20;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private StrictJson() {
    }

    /**
     * The one JSON value in {@code file}. A syntax error, trailing content, a repeated key or bytes
     * that decode as no JSON encoding (UTF-8, -16 or -32) is a {@link JsonProcessingException} (describe it with {@link #problem}); a file over
     * {@link #MAX_FILE_BYTES} an {@link IOException} naming the file.
     */
    public static JsonNode read(Path file) throws IOException {
        return read(file, MAX_FILE_BYTES);
    }

    /** {@link #read(Path)} for a kind of file that may be larger (a tokenizer's vocabulary): at most {@code maxBytes}. */
    public static JsonNode read(Path file, long maxBytes) throws IOException {
        long size = Files.size(file);
        if (size > maxBytes) {
            throw new IOException(file + ": " + size + " bytes, more than the " + maxBytes
                    + " this JSON file may have (not the file it should be, or corrupt)");
        }
        try {
            return MAPPER.readTree(file.toFile());
        } catch (CharConversionException e) {
            throw new JsonParseException(null, "not text in a JSON encoding: " + e.getMessage(), e);
        }
    }

    /** The one JSON value in {@code text} (a line of a JSON Lines file), with the same rules as {@link #read}. */
    public static JsonNode parse(String text) throws JsonProcessingException {
        return MAPPER.readTree(text);
    }

    /** What is wrong, and where, in one line: Jackson's message without its multi-line source excerpt. */
    public static String problem(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String where = at == null || at.getLineNr() < 1 ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
        String message = e.getOriginalMessage().startsWith("Trailing token") ? "more content after the JSON value"
                : e.getOriginalMessage().replace('\n', ' ');
        return message + where;
    }
}
