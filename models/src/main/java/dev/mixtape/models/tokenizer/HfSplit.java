package dev.mixtape.models.tokenizer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Splits text by a pattern the way Hugging Face tokenizers do ({@code SplitDelimiterBehavior}): the
 * text becomes alternating stretches of non-matches and matches, which the behaviour then keeps apart
 * ({@code Isolated}), drops ({@code Removed}), glues to the stretch before ({@code MergedWithPrevious})
 * or after ({@code MergedWithNext}), or joins when adjacent ({@code Contiguous}). Empty pieces vanish.
 */
final class HfSplit {
    /** What happens to the matches. */
    enum Behavior { ISOLATED, REMOVED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS }

    private record Span(int start, int end, boolean match) {
    }

    private HfSplit() {
    }

    /**
     * Splits by every match of {@code pattern} (searched in bounded time and stack, see
     * {@link BoundedRegex}); {@code invert} swaps the roles of matches and the rest.
     */
    static List<TextPiece> byRegex(TextPiece piece, Pattern pattern, Behavior behavior, boolean invert) {
        String text = piece.text();
        List<Span> spans = new ArrayList<>();
        int previous = 0;
        for (int[] match : BoundedRegex.matches(pattern, text)) {
            if (match[0] != previous) {
                spans.add(new Span(previous, match[0], invert));
            }
            spans.add(new Span(match[0], match[1], !invert));
            previous = match[1];
        }
        if (previous != text.length()) {
            spans.add(new Span(previous, text.length(), invert));
        }
        return apply(piece, spans, behavior);
    }

    /** Splits so that every code point that is a number (Unicode N) is a match of its own. */
    static List<TextPiece> byNumbers(TextPiece piece, Behavior behavior) {
        String text = piece.text();
        List<Span> spans = new ArrayList<>();
        int runStart = 0;
        for (int at = 0; at < text.length(); ) {
            int codePoint = text.codePointAt(at);
            int next = at + Character.charCount(codePoint);
            if (isNumber(codePoint)) {
                if (runStart != at) {
                    spans.add(new Span(runStart, at, false));
                }
                spans.add(new Span(at, next, true));
                runStart = next;
            }
            at = next;
        }
        if (runStart != text.length()) {
            spans.add(new Span(runStart, text.length(), false));
        }
        return apply(piece, spans, behavior);
    }

    private static boolean isNumber(int codePoint) {
        int type = Character.getType(codePoint);
        return type == Character.DECIMAL_DIGIT_NUMBER || type == Character.LETTER_NUMBER || type == Character.OTHER_NUMBER;
    }

    private static List<TextPiece> apply(TextPiece piece, List<Span> spans, Behavior behavior) {
        List<int[]> kept = new ArrayList<>();
        boolean previousMatch = false;
        switch (behavior) {
            case ISOLATED -> spans.forEach(s -> kept.add(new int[] {s.start(), s.end()}));
            case REMOVED -> spans.stream().filter(s -> !s.match()).forEach(s -> kept.add(new int[] {s.start(), s.end()}));
            case MERGED_WITH_PREVIOUS, CONTIGUOUS -> {
                for (Span span : spans) {
                    boolean glue = behavior == Behavior.CONTIGUOUS ? span.match() == previousMatch : span.match() && !previousMatch;
                    if (glue && !kept.isEmpty()) {
                        kept.getLast()[1] = span.end();
                    } else {
                        kept.add(new int[] {span.start(), span.end()});
                    }
                    previousMatch = span.match();
                }
            }
            case MERGED_WITH_NEXT -> {
                for (Span span : spans.reversed()) {
                    if (span.match() && !previousMatch && !kept.isEmpty()) {
                        kept.getLast()[0] = span.start();
                    } else {
                        kept.add(new int[] {span.start(), span.end()});
                    }
                    previousMatch = span.match();
                }
                Collections.reverse(kept);
            }
        }
        List<TextPiece> pieces = new ArrayList<>();
        for (int[] range : kept) {
            if (range[1] > range[0]) {
                pieces.add(new TextPiece(piece.text().substring(range[0], range[1]), piece.atTextStart() && range[0] == 0));
            }
        }
        return pieces;
    }
}
