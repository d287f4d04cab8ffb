package dev.mixtape.models.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Runs a tokenizer.json's regular expressions in bounded time and stack. java.util.regex backtracks
 * and recurses once per repetition of a group, so a hostile pattern could take exponential time, or
 * overflow the stack on a long input. Patterns are therefore checked when read: backreferences, and
 * groups under an unbounded or long repetition ({@code (…)*}, {@code (…)+}, {@code (…){2,}}), are
 * refused naming the pattern (the tokenizers in use have neither). Every search then runs against a
 * deadline proportional to the text's length, and a stack overflow is caught: either refuses the
 * pattern in one line naming it, instead of hanging or crashing.
 */
final class BoundedRegex {
    /** Longest repetition of a group accepted: deep enough for any real pattern, shallow for the stack. */
    private static final int MAX_GROUP_REPEAT = 16;
    /** Time any text may take, plus {@link #NANOS_PER_CHAR} per character: far beyond a real pattern's need. */
    private static final long BASE_NANOS = 2_000_000_000L;
    private static final long NANOS_PER_CHAR = 2_000;

    private BoundedRegex() {
    }

    /** Compiles {@code regex} as HF tokenizers read it (Unicode classes), refusing what could not run safely. */
    static Pattern compile(String regex, String source) {
        String unsafe = unsafeConstruct(regex);
        if (unsafe != null) {
            throw new IllegalArgumentException(source + " has a regex with " + unsafe + ", which Mixtape refuses "
                    + "(it could backtrack without end): " + regex);
        }
        try {
            return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(source + " has a regex Java cannot compile: " + regex, e);
        }
    }

    /** What makes {@code regex} unsafe (a backreference, a repeated group), or null. */
    private static String unsafeConstruct(String regex) {
        boolean inClass = false;
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '\\' && i + 1 < regex.length()) {
                char escaped = regex.charAt(++i);
                if (!inClass && (escaped >= '1' && escaped <= '9' || escaped == 'k')) {
                    return "a backreference";
                }
            } else if (c == '[') {
                inClass = true;
            } else if (c == ']') {
                inClass = false;
            } else if (c == ')' && !inClass && repeatsLong(regex, i + 1)) {
                return "a group repeated without a small bound";
            }
        }
        return null;
    }

    /** Whether the quantifier at {@code at} (if any) allows more than {@link #MAX_GROUP_REPEAT} repetitions. */
    private static boolean repeatsLong(String regex, int at) {
        if (at >= regex.length()) {
            return false;
        }
        char c = regex.charAt(at);
        if (c == '*' || c == '+') {
            return true;
        }
        if (c != '{') {
            return false;
        }
        int close = regex.indexOf('}', at);
        if (close < 0) {
            return false;
        }
        String[] bounds = regex.substring(at + 1, close).split(",", -1);
        String upper = bounds[bounds.length - 1].trim();
        return upper.isEmpty() || !upper.chars().allMatch(Character::isDigit) || upper.length() > 3
                || Integer.parseInt(upper) > MAX_GROUP_REPEAT;
    }

    /**
     * The ranges {@code [start, end)} of every match of {@code pattern} in {@code text}, in order; an
     * {@link IllegalArgumentException} naming the pattern when the search runs out of time or stack.
     */
    static List<int[]> matches(Pattern pattern, String text) {
        List<int[]> ranges = new ArrayList<>();
        Matcher matcher = pattern.matcher(new DeadlineText(text, System.nanoTime() + BASE_NANOS + NANOS_PER_CHAR * text.length()));
        try {
            while (matcher.find()) {
                ranges.add(new int[] {matcher.start(), matcher.end()});
            }
        } catch (DeadlineText.Expired e) {
            throw refusal(pattern, text, "did not finish in time");
        } catch (StackOverflowError e) {
            throw refusal(pattern, text, "overflowed the stack");
        }
        return ranges;
    }

    private static IllegalArgumentException refusal(Pattern pattern, String text, String what) {
        return new IllegalArgumentException("the tokenizer's regex " + pattern.pattern() + " " + what + " on a text of "
                + text.length() + " characters; Mixtape refuses a pattern it cannot run safely");
    }

    /** A text that throws {@link Expired} when read after its deadline (checked every few thousand reads). */
    private static final class DeadlineText implements CharSequence {
        /** Thrown out of the matcher when the deadline has passed. */
        static final class Expired extends RuntimeException {
            Expired() {
                super(null, null, false, false);
            }
        }

        private final String text;
        private final long deadline;
        private int reads;

        DeadlineText(String text, long deadline) {
            this.text = text;
            this.deadline = deadline;
        }

        @Override
        public char charAt(int index) {
            if ((++reads & 0xFFF) == 0 && System.nanoTime() > deadline) {
                throw new Expired();
            }
            return text.charAt(index);
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return text.subSequence(start, end);
        }

        @Override
        public String toString() {
            return text;
        }
    }
}
