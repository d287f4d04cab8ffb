package dev.mixtape.engine.io;

import dev.mixtape.engine.io.JsonValue.JsonArray;
import dev.mixtape.engine.io.JsonValue.JsonBoolean;
import dev.mixtape.engine.io.JsonValue.JsonNull;
import dev.mixtape.engine.io.JsonValue.JsonNumber;
import dev.mixtape.engine.io.JsonValue.JsonObject;
import dev.mixtape.engine.io.JsonValue.JsonString;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A recursive-descent parser over one JSON text, one instance per parse. Each method reads one
 * grammar rule starting at {@link #pos} and leaves {@link #pos} just after it.
 */
final class JsonParser {
    /** Deeper nesting is refused, so that hostile input cannot exhaust the stack. */
    static final int MAX_DEPTH = 512;

    private final String text;
    private int pos;
    private int depth;

    JsonParser(String text) {
        this.text = text;
    }

    JsonValue parseDocument() {
        skipWhitespace();
        JsonValue value = parseValue();
        skipWhitespace();
        if (pos < text.length()) {
            throw error("unexpected text after the JSON value");
        }
        return value;
    }

    private JsonValue parseValue() {
        if (pos >= text.length()) {
            throw error("unexpected end of text, expected a value");
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> parseObject();
            case '[' -> parseArray();
            case '"' -> new JsonString(parseString());
            case 't' -> literal("true", new JsonBoolean(true));
            case 'f' -> literal("false", new JsonBoolean(false));
            case 'n' -> literal("null", new JsonNull());
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield parseNumber();
                }
                throw error("unexpected character '" + c + "', expected a value");
            }
        };
    }

    private JsonObject parseObject() {
        enterNesting();
        pos++;
        Map<String, JsonValue> members = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            depth--;
            return new JsonObject(members);
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a member name in double quotes");
            }
            int nameStart = pos;
            String name = parseString();
            if (members.containsKey(name)) {
                pos = nameStart;
                throw error("duplicate member name " + Json.quote(name));
            }
            skipWhitespace();
            expect(':');
            skipWhitespace();
            members.put(name, parseValue());
            skipWhitespace();
            char next = peek();
            pos++;
            if (next == '}') {
                depth--;
                return new JsonObject(members);
            }
            if (next != ',') {
                pos--;
                throw error("expected ',' or '}' in an object");
            }
        }
    }

    private JsonArray parseArray() {
        enterNesting();
        pos++;
        List<JsonValue> elements = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            depth--;
            return new JsonArray(elements);
        }
        while (true) {
            skipWhitespace();
            elements.add(parseValue());
            skipWhitespace();
            char next = peek();
            pos++;
            if (next == ']') {
                depth--;
                return new JsonArray(elements);
            }
            if (next != ',') {
                pos--;
                throw error("expected ',' or ']' in an array");
            }
        }
    }

    private String parseString() {
        pos++;
        StringBuilder out = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(pos++);
            if (c == '"') {
                return out.toString();
            }
            if (c < 0x20) {
                pos--;
                throw error("control character U+" + String.format("%04X", (int) c) + " must be escaped in a string");
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (pos >= text.length()) {
                throw error("unterminated escape in a string");
            }
            char escaped = text.charAt(pos++);
            switch (escaped) {
                case '"' -> out.append('"');
                case '\\' -> out.append('\\');
                case '/' -> out.append('/');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> out.append(parseHexCodeUnit());
                default -> {
                    pos--;
                    throw error("invalid escape '\\" + escaped + "' in a string");
                }
            }
        }
    }

    /** The four hex digits after {@code \\u}: one UTF-16 code unit (surrogate pairs come as two escapes). */
    private char parseHexCodeUnit() {
        if (pos + 4 > text.length()) {
            throw error("truncated \\u escape");
        }
        int value = 0;
        for (int i = 0; i < 4; i++) {
            int digit = Character.digit(text.charAt(pos), 16);
            if (digit < 0) {
                throw error("invalid hex digit '" + text.charAt(pos) + "' in a \\u escape");
            }
            value = value * 16 + digit;
            pos++;
        }
        return (char) value;
    }

    private JsonNumber parseNumber() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (isDigit(peek())) {
            skipDigits();
        } else {
            throw error("expected a digit in a number");
        }
        if (peek() == '.') {
            pos++;
            if (!isDigit(peek())) {
                throw error("expected a digit after the decimal point");
            }
            skipDigits();
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("expected a digit in the exponent");
            }
            skipDigits();
        }
        return new JsonNumber(text.substring(start, pos));
    }

    private JsonValue literal(String word, JsonValue value) {
        if (!text.startsWith(word, pos)) {
            throw error("unexpected word, expected " + word);
        }
        pos += word.length();
        return value;
    }

    private void enterNesting() {
        if (++depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH + " levels");
        }
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    /** The current character, or {@code '\0'} at the end of the text (never valid where it is checked). */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void skipDigits() {
        while (isDigit(peek())) {
            pos++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private JsonException error(String problem) {
        int from = Math.max(0, pos - 20);
        int to = Math.min(text.length(), pos + 20);
        String near = text.substring(from, to).replaceAll("\\p{Cntrl}", " ");
        return new JsonException(problem + " at offset " + pos + " (near '" + near + "')");
    }
}
