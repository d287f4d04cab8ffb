package dev.mixtape.serve;

import java.util.List;

/**
 * A generation's text as it grows, split into what may be sent and what must wait: text that could
 * still become the start of a stop sequence is held back until the next tokens settle it, so that
 * no part of a stop sequence is ever sent.
 */
final class StopTexts {
    private final List<String> stops;
    private final StringBuilder text = new StringBuilder();
    private int sent;
    private boolean stopped;

    StopTexts(List<String> stops) {
        this.stops = stops;
    }

    /**
     * Adds {@code piece} and returns the text now safe to send; after a stop sequence appears,
     * {@link #stopped} is true and the text before it is what is returned.
     */
    String add(String piece) {
        text.append(piece);
        int longest = 0;
        for (String stop : stops) {
            longest = Math.max(longest, stop.length());
        }
        int from = Math.max(0, sent - longest + 1);
        int end = -1;
        for (String stop : stops) {
            int at = text.indexOf(stop, from);
            if (at >= 0 && (end < 0 || at < end)) {
                end = at;
            }
        }
        if (end >= 0) {
            stopped = true;
            text.setLength(end);
            return flushTo(Math.max(end, sent));
        }
        return flushTo(text.length() - heldBack());
    }

    /** The rest, at the end of the generation. */
    String finish() {
        return flushTo(text.length());
    }

    boolean stopped() {
        return stopped;
    }

    /** All the text kept (without the stop sequence). */
    String text() {
        return text.toString();
    }

    /** Length of the longest end of the text that begins some stop sequence. */
    private int heldBack() {
        String unsent = text.substring(sent);
        int held = 0;
        for (String stop : stops) {
            for (int n = Math.min(stop.length() - 1, unsent.length()); n > held; n--) {
                if (unsent.regionMatches(unsent.length() - n, stop, 0, n)) {
                    held = n;
                    break;
                }
            }
        }
        return held;
    }

    private String flushTo(int end) {
        String out = text.substring(sent, end);
        sent = end;
        return out;
    }
}
