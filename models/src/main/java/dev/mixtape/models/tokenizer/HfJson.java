package dev.mixtape.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.regex.Pattern;

/** Small readers for the recurring parts of a tokenizer.json, with errors that name the file. */
final class HfJson {
    private HfJson() {
    }

    /**
     * A {@code {"String": ...}} or {@code {"Regex": ...}} pattern as a Java regex. Regexes are written
     * for Oniguruma; {@code \p{L}}, {@code \p{N}}, {@code (?i:...)} and lookaheads mean the same in
     * Java, and {@link Pattern#UNICODE_CHARACTER_CLASS} makes {@code \s} Unicode white space as there.
     * A regex that could not run in bounded time and stack is refused (see {@link BoundedRegex}).
     */
    static Pattern pattern(JsonNode node, String source) {
        if (node.hasNonNull("String")) {
            return Pattern.compile(Pattern.quote(node.get("String").asText()));
        }
        if (node.hasNonNull("Regex")) {
            return BoundedRegex.compile(node.get("Regex").asText(), source);
        }
        throw new IllegalArgumentException(source + " has a pattern that is neither String nor Regex: " + node);
    }

    /** A split behaviour: {@code Isolated}, {@code Removed}, {@code MergedWithPrevious}, {@code MergedWithNext}, {@code Contiguous}. */
    static HfSplit.Behavior behavior(JsonNode node, String source) {
        return switch (node.asText()) {
            case "Isolated" -> HfSplit.Behavior.ISOLATED;
            case "Removed" -> HfSplit.Behavior.REMOVED;
            case "MergedWithPrevious" -> HfSplit.Behavior.MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> HfSplit.Behavior.MERGED_WITH_NEXT;
            case "Contiguous" -> HfSplit.Behavior.CONTIGUOUS;
            default -> throw new IllegalArgumentException(source + " has the unknown split behavior '" + node.asText() + "'");
        };
    }

    /** Metaspace's {@code prepend_scheme} (always, first, never), or the older {@code add_prefix_space} flag. */
    static String prependScheme(JsonNode node, String source) {
        if (node.hasNonNull("prepend_scheme")) {
            String scheme = node.get("prepend_scheme").asText();
            if (!scheme.equals("always") && !scheme.equals("first") && !scheme.equals("never")) {
                throw new IllegalArgumentException(source + " has the unknown Metaspace prepend_scheme '" + scheme + "'");
            }
            return scheme;
        }
        return node.path("add_prefix_space").asBoolean(true) ? "always" : "never";
    }

    /** The text of a string or of an AddedToken object's {@code content}; null when absent. */
    static String tokenContent(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        return node.isTextual() ? node.asText() : node.path("content").asText(null);
    }
}
