package dev.mixtape.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The {@code pre_tokenizer} of a tokenizer.json: cuts text into pieces that BPE then encodes one by
 * one (BPE never merges across pieces). The kinds read here are {@code Sequence}, {@code Split},
 * {@code Digits}, {@code ByteLevel} and {@code Metaspace}.
 */
sealed interface HfPreTokenizer {
    /** GPT-2's split pattern, which {@code ByteLevel} uses when {@code use_regex} is true. */
    Pattern GPT2_PATTERN = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    /** The pieces of one piece. */
    List<TextPiece> split(TextPiece piece);

    /** Pre-tokenizers applied one after another, each to every piece the previous one made. */
    record Sequence(List<HfPreTokenizer> steps) implements HfPreTokenizer {
        @Override
        public List<TextPiece> split(TextPiece piece) {
            List<TextPiece> pieces = List.of(piece);
            for (HfPreTokenizer step : steps) {
                List<TextPiece> next = new ArrayList<>();
                for (TextPiece p : pieces) {
                    next.addAll(step.split(p));
                }
                pieces = next;
            }
            return pieces;
        }
    }

    /** Splits by a regular expression (or a literal string) with a {@link HfSplit.Behavior}. */
    record Split(Pattern pattern, HfSplit.Behavior behavior, boolean invert) implements HfPreTokenizer {
        @Override
        public List<TextPiece> split(TextPiece piece) {
            return HfSplit.byRegex(piece, pattern, behavior, invert);
        }
    }

    /** Splits numbers from the rest: each digit alone, or runs of digits together. */
    record Digits(boolean individualDigits) implements HfPreTokenizer {
        @Override
        public List<TextPiece> split(TextPiece piece) {
            return HfSplit.byNumbers(piece, individualDigits ? HfSplit.Behavior.ISOLATED : HfSplit.Behavior.CONTIGUOUS);
        }
    }

    /**
     * GPT-2's byte-level step: optionally a leading space, optionally a split by {@link #GPT2_PATTERN},
     * then each piece's UTF-8 bytes written in the {@link ByteLevelAlphabet}.
     */
    record ByteLevel(boolean addPrefixSpace, boolean useRegex) implements HfPreTokenizer {
        @Override
        public List<TextPiece> split(TextPiece piece) {
            TextPiece prefixed = addPrefixSpace && !piece.text().startsWith(" ")
                    ? new TextPiece(" " + piece.text(), piece.atTextStart()) : piece;
            List<TextPiece> pieces = useRegex
                    ? HfSplit.byRegex(prefixed, GPT2_PATTERN, HfSplit.Behavior.ISOLATED, false) : List.of(prefixed);
            return pieces.stream()
                    .map(p -> new TextPiece(ByteLevelAlphabet.encode(p.text().getBytes(StandardCharsets.UTF_8)), p.atTextStart()))
                    .toList();
        }
    }

    /**
     * SentencePiece's whitespace handling: spaces become {@code replacement} ({@code ▁}), which is
     * also put before a piece that does not start with one ({@code always}) or only before the start
     * of the text ({@code first}); {@code split} then cuts before each {@code ▁}.
     */
    record Metaspace(String replacement, String prependScheme, boolean split) implements HfPreTokenizer {
        @Override
        public List<TextPiece> split(TextPiece piece) {
            String text = piece.text().replace(" ", replacement);
            boolean prepend = switch (prependScheme) {
                case "always" -> true;
                case "first" -> piece.atTextStart();
                default -> false;
            };
            if (prepend && !text.startsWith(replacement)) {
                text = replacement + text;
            }
            TextPiece replaced = new TextPiece(text, piece.atTextStart());
            return split
                    ? HfSplit.byRegex(replaced, Pattern.compile(Pattern.quote(replacement)), HfSplit.Behavior.MERGED_WITH_NEXT, false)
                    : List.of(replaced);
        }
    }

    /** The pre-tokenizer a tokenizer.json describes; null JSON means none (the whole text is one piece). */
    static HfPreTokenizer fromJson(JsonNode node, String source) {
        if (node == null || node.isNull()) {
            return new Sequence(List.of());
        }
        String type = node.path("type").asText();
        return switch (type) {
            case "Sequence" -> {
                List<HfPreTokenizer> steps = new ArrayList<>();
                for (JsonNode step : node.path("pretokenizers")) {
                    steps.add(fromJson(step, source));
                }
                yield new Sequence(List.copyOf(steps));
            }
            case "Split" -> new Split(HfJson.pattern(node.path("pattern"), source),
                    HfJson.behavior(node.path("behavior"), source), node.path("invert").asBoolean(false));
            case "Digits" -> new Digits(node.path("individual_digits").asBoolean(false));
            case "ByteLevel" -> new ByteLevel(node.path("add_prefix_space").asBoolean(true), node.path("use_regex").asBoolean(true));
            case "Metaspace" -> new Metaspace(node.path("replacement").asText("▁"), HfJson.prependScheme(node, source),
                    node.path("split").asBoolean(true));
            default -> throw new IllegalArgumentException(source + " has the pre_tokenizer type '" + type
                    + "', which Mixtape does not read (it reads Sequence, Split, Digits, ByteLevel, Metaspace)");
        };
    }
}
