package dev.mixtape.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The {@code normalizer} of a tokenizer.json: rewrites text before it is split. The kinds read here
 * are {@code Sequence}, {@code Prepend}, {@code Replace}, {@code Lowercase} and the four Unicode forms
 * ({@code NFC}, {@code NFD}, {@code NFKC}, {@code NFKD}). The Llama-2 kind is
 * {@code Sequence[Prepend("▁"), Replace(" ", "▁")]}.
 */
sealed interface HfNormalizer {
    /** The rewritten text. */
    String normalize(String text);

    /** Normalizers applied one after another. */
    record Sequence(List<HfNormalizer> steps) implements HfNormalizer {
        @Override
        public String normalize(String text) {
            for (HfNormalizer step : steps) {
                text = step.normalize(text);
            }
            return text;
        }
    }

    /** Puts {@code prefix} before non-empty text. */
    record Prepend(String prefix) implements HfNormalizer {
        @Override
        public String normalize(String text) {
            return text.isEmpty() ? text : prefix + text;
        }
    }

    /** Replaces every match of {@code pattern} by {@code content} (searched in bounded time and stack, see {@link BoundedRegex}). */
    record Replace(Pattern pattern, String content) implements HfNormalizer {
        @Override
        public String normalize(String text) {
            StringBuilder out = new StringBuilder(text.length());
            int previous = 0;
            for (int[] match : BoundedRegex.matches(pattern, text)) {
                out.append(text, previous, match[0]).append(content);
                previous = match[1];
            }
            return out.append(text, previous, text.length()).toString();
        }
    }

    /** Lower-cases the text (locale-independent). */
    record Lowercase() implements HfNormalizer {
        @Override
        public String normalize(String text) {
            return text.toLowerCase(Locale.ROOT);
        }
    }

    /** Puts the text into a Unicode normal form. */
    record UnicodeForm(Normalizer.Form form) implements HfNormalizer {
        @Override
        public String normalize(String text) {
            return Normalizer.normalize(text, form);
        }
    }

    /** The normalizer a tokenizer.json describes; null JSON means none. */
    static HfNormalizer fromJson(JsonNode node, String source) {
        if (node == null || node.isNull()) {
            return new Sequence(List.of());
        }
        String type = node.path("type").asText();
        return switch (type) {
            case "Sequence" -> {
                List<HfNormalizer> steps = new ArrayList<>();
                for (JsonNode step : node.path("normalizers")) {
                    steps.add(fromJson(step, source));
                }
                yield new Sequence(List.copyOf(steps));
            }
            case "Prepend" -> new Prepend(node.path("prepend").asText());
            case "Replace" -> new Replace(HfJson.pattern(node.path("pattern"), source), node.path("content").asText());
            case "Lowercase" -> new Lowercase();
            case "NFC" -> new UnicodeForm(Normalizer.Form.NFC);
            case "NFD" -> new UnicodeForm(Normalizer.Form.NFD);
            case "NFKC" -> new UnicodeForm(Normalizer.Form.NFKC);
            case "NFKD" -> new UnicodeForm(Normalizer.Form.NFKD);
            default -> throw new IllegalArgumentException(source + " has the normalizer type '" + type
                    + "', which Mixtape does not read (it reads Sequence, Prepend, Replace, Lowercase, NFC, NFD, NFKC, NFKD)");
        };
    }
}
