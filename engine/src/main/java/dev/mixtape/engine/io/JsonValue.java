package dev.mixtape.engine.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * A parsed JSON value (RFC 8259), as {@link Json#parse} returns it. Switch over the six cases with
 * pattern matching; objects keep their members in the order the text lists them.
 */
public sealed interface JsonValue {

    /** A JSON object: members in text order, no duplicate names. */
    record JsonObject(Map<String, JsonValue> members) implements JsonValue {
        /** Keeps an unmodifiable copy of {@code members}, in their iteration order. */
        public JsonObject {
            members = Collections.unmodifiableMap(new LinkedHashMap<>(members));
        }
    }

    /** A JSON array. */
    record JsonArray(List<JsonValue> elements) implements JsonValue {
        /** Keeps an unmodifiable copy of {@code elements}. */
        public JsonArray {
            elements = List.copyOf(elements);
        }
    }

    /** A JSON string, escapes already decoded. */
    record JsonString(String value) implements JsonValue {
    }

    /** A JSON number, kept as its exact text so that integers beyond a double's precision survive. */
    record JsonNumber(String text) implements JsonValue {
        /** The nearest double. */
        public double doubleValue() {
            return Double.parseDouble(text);
        }

        /**
         * The value as a long when the text is a plain integer literal ({@code -?digits}, no fraction
         * or exponent) that fits in a long; empty otherwise.
         */
        public OptionalLong exactLong() {
            if (text.indexOf('.') >= 0 || text.indexOf('e') >= 0 || text.indexOf('E') >= 0) {
                return OptionalLong.empty();
            }
            try {
                return OptionalLong.of(Long.parseLong(text));
            } catch (NumberFormatException tooLarge) {
                return OptionalLong.empty();
            }
        }
    }

    /** {@code true} or {@code false}. */
    record JsonBoolean(boolean value) implements JsonValue {
    }

    /** {@code null}. */
    record JsonNull() implements JsonValue {
    }
}
