package dev.mixtape.engine.io;

/**
 * Reading and writing JSON text. Parsing is strict RFC 8259 (no comments, no trailing commas, no
 * duplicate member names, nesting at most {@value JsonParser#MAX_DEPTH} deep) so that a corrupt file
 * is reported rather than half understood.
 */
public final class Json {
    private Json() {
    }

    /** Parses one JSON value; only whitespace may surround it. Throws {@link JsonException} on any error. */
    public static JsonValue parse(String text) {
        return new JsonParser(text).parseDocument();
    }

    /** {@code value} as a JSON string literal, with quotes and the escapes JSON requires. */
    public static String quote(String value) {
        StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
