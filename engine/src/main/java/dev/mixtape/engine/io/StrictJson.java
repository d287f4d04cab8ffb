package dev.mixtape.engine.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.CharConversionException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * The one way Mixtape reads JSON (a safetensors header, {@code config.json}, an index, an adapter's or
 * a MoLE's config, a line of a JSON Lines file): Jackson, made strict. Exactly one JSON value per text
 * (a second value, garbage after it or no value at all is an error), no key twice in one object,
 * nesting at most {@value #MAX_DEPTH} deep, and for files a size limit checked before anything is
 * read, so that a hostile file fails in one line instead of being half-read, overflowing the stack
 * or filling the heap. Jackson's defaults already refuse comments, trailing commas, single quotes,
 * unquoted names, leading zeros and raw control characters in strings.
 */
public final class StrictJson {
    /** Larger than any real config or shard index by three orders of magnitude. */
    public static final long MAX_FILE_BYTES = 16L << 20;

    /** Deeper nesting is refused; real files nest a few levels. */
    public static final int MAX_DEPTH = 512;

    private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** How Jackson cites a location inside a message: {@code [Source: ...; line: 1, column: 6]}. */
    private static final Pattern CITED_LOCATION = Pattern.compile("\\[Source: [^;]*; line: (\\d+), column: (\\d+)]");

    private StrictJson() {
    }

    /**
     * The one JSON value in {@code file}. A syntax error, trailing content, a repeated key or bytes
     * that decode as no JSON encoding (UTF-8, -16 or -32) is a {@link JsonProcessingException} (describe
     * it with {@link #problem}); a file over {@link #MAX_FILE_BYTES} an {@link IOException} naming the file.
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
            return present(MAPPER.readTree(file.toFile()));
        } catch (CharConversionException e) {
            throw new JsonParseException(null, "not text in a JSON encoding: " + e.getMessage(), e);
        }
    }

    /** The one JSON value in {@code text} (a safetensors header, a line of a JSON Lines file), with the same rules as {@link #read}. */
    public static JsonNode parse(String text) throws JsonProcessingException {
        return present(MAPPER.readTree(text));
    }

    /**
     * What is wrong, and where, in one line: Jackson's message without its multi-line source excerpt,
     * and with a location it cites inside the message (where an unclosed object began) as a plain
     * line and column.
     */
    public static String problem(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String where = at == null || at.getLineNr() < 1 ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
        String message = e.getOriginalMessage().startsWith("Trailing token") ? "more content after the JSON value"
                : CITED_LOCATION.matcher(e.getOriginalMessage().replace('\n', ' ')).replaceAll("line $1, column $2");
        return message + where;
    }

    /** {@code value} as a JSON string literal: in quotes, with the escapes JSON requires. */
    public static String quote(String value) {
        return '"' + new String(JsonStringEncoder.getInstance().quoteAsString(value)) + '"';
    }

    /** Jackson reads empty text as a "missing" node; for a file or line that must hold a value, that is an error. */
    private static JsonNode present(JsonNode node) throws JsonParseException {
        if (node == null || node.isMissingNode()) {
            throw new JsonParseException(null, "no JSON value (the text is empty or only whitespace)");
        }
        return node;
    }
}
