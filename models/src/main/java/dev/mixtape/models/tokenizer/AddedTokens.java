package dev.mixtape.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code added_tokens} of a tokenizer.json ({@code <|im_start|>}, {@code <s>}, ...), which are
 * found in the text before anything else runs and become their ids whole. At each position the
 * longest token that matches wins, scanning left to right. {@code lstrip}/{@code rstrip} let a match
 * swallow the white space beside it; {@code single_word} accepts a match only between non-word
 * characters. Tokens with {@code normalized: true} are looked for in the normalized text instead of
 * the raw text.
 */
final class AddedTokens {
    /** One added token. */
    record Token(int id, String content, boolean lstrip, boolean rstrip, boolean singleWord, boolean normalized) {
    }

    /** A stretch of the input: either an added token's id, or text still to be tokenized. */
    record Segment(int id, String text, int start) {
        boolean isToken() {
            return text == null;
        }
    }

    private final List<Token> tokens;
    private final Map<Character, List<Token>> byFirstChar = new HashMap<>();

    private AddedTokens(List<Token> tokens) {
        this.tokens = tokens;
        for (Token token : tokens) {
            byFirstChar.computeIfAbsent(token.content().charAt(0), c -> new ArrayList<>()).add(token);
        }
    }

    static AddedTokens fromJson(JsonNode array, String source) {
        List<Token> tokens = new ArrayList<>();
        for (JsonNode node : array) {
            String content = node.path("content").asText();
            if (content.isEmpty() || !node.path("id").canConvertToInt()) {
                throw new IllegalArgumentException(source + " has an added token without id or content: " + node);
            }
            tokens.add(new Token(node.get("id").asInt(), content,
                    node.path("lstrip").asBoolean(false), node.path("rstrip").asBoolean(false),
                    node.path("single_word").asBoolean(false), node.path("normalized").asBoolean(!node.path("special").asBoolean(false))));
        }
        tokens.sort(Comparator.comparingInt((Token t) -> t.content().length()).reversed());
        return new AddedTokens(List.copyOf(tokens));
    }

    /** The added token whose content is {@code content}, or null. */
    Token byContent(String content) {
        return tokens.stream().filter(t -> t.content().equals(content)).findFirst().orElse(null);
    }

    /** All added tokens, longest first. */
    List<Token> all() {
        return tokens;
    }

    /**
     * Cuts {@code text} at the added tokens whose {@code normalized} flag equals {@code normalized};
     * {@code offset} is where {@code text} starts in the input.
     */
    List<Segment> split(String text, int offset, boolean normalized) {
        List<Segment> segments = new ArrayList<>();
        int textStart = 0;
        int at = 0;
        while (at < text.length()) {
            Token match = longestMatchAt(text, at, normalized);
            if (match == null) {
                at++;
                continue;
            }
            int start = at;
            int end = at + match.content().length();
            if (match.lstrip()) {
                while (start > textStart && Character.isWhitespace(text.charAt(start - 1))) {
                    start--;
                }
            }
            if (match.rstrip()) {
                while (end < text.length() && Character.isWhitespace(text.charAt(end))) {
                    end++;
                }
            }
            if (start > textStart) {
                segments.add(new Segment(-1, text.substring(textStart, start), offset + textStart));
            }
            segments.add(new Segment(match.id(), null, offset + start));
            textStart = end;
            at = end;
        }
        if (textStart < text.length()) {
            segments.add(new Segment(-1, text.substring(textStart), offset + textStart));
        }
        return segments;
    }

    private Token longestMatchAt(String text, int at, boolean normalized) {
        for (Token token : byFirstChar.getOrDefault(text.charAt(at), List.of())) {
            if (token.normalized() == normalized && text.startsWith(token.content(), at)
                    && (!token.singleWord() || standsAlone(text, at, at + token.content().length()))) {
                return token;
            }
        }
        return null;
    }

    private static boolean standsAlone(String text, int start, int end) {
        boolean before = start == 0 || !isWordCharacter(text.codePointBefore(start));
        boolean after = end == text.length() || !isWordCharacter(text.codePointAt(end));
        return before && after;
    }

    private static boolean isWordCharacter(int codePoint) {
        return Character.isLetterOrDigit(codePoint) || codePoint == '_';
    }
}
