package dev.mixtape.models.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.IntFunction;

/**
 * Decodes ids one at a time, as a model generates them. A token may stand for part of a character
 * (byte-fallback and byte-level tokens split multi-byte UTF-8), so bytes are held back until they
 * complete a character: {@link #next} returns only whole characters, and {@link #finish} returns what
 * is left (an unfinished character becomes U+FFFD). Not thread-safe: one decoder per stream.
 */
public final class StreamingDecoder {
    private final IntFunction<byte[]> tokenBytes;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    /**
     * @param tokenBytes gives the bytes each id stands for, in order; it may keep state across calls
     *                   (to strip a leading space at the start of the text, say)
     */
    StreamingDecoder(IntFunction<byte[]> tokenBytes) {
        this.tokenBytes = tokenBytes;
    }

    /** The whole characters that {@code id} completes (possibly none). */
    public String next(int id) {
        pending.writeBytes(tokenBytes.apply(id));
        byte[] bytes = pending.toByteArray();
        int complete = completePrefixLength(bytes);
        pending.reset();
        pending.write(bytes, complete, bytes.length - complete);
        return new String(bytes, 0, complete, StandardCharsets.UTF_8);
    }

    /** What is still held back, decoded as it is; the decoder is empty afterwards. */
    public String finish() {
        String rest = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return rest;
    }

    /**
     * The length of the longest prefix that does not end inside a UTF-8 sequence: a lead byte near the
     * end whose sequence still lacks continuation bytes is held back with its followers.
     */
    static int completePrefixLength(byte[] bytes) {
        int n = bytes.length;
        for (int back = 1; back <= Math.min(3, n); back++) {
            int b = bytes[n - back] & 0xFF;
            if ((b & 0xC0) == 0x80) {
                continue;
            }
            int needed;
            if (b >= 0xC2 && b <= 0xDF) {
                needed = 2;
            } else if (b >= 0xE0 && b <= 0xEF) {
                needed = 3;
            } else if (b >= 0xF0 && b <= 0xF4) {
                needed = 4;
            } else {
                needed = 1; // ASCII, or a byte that cannot start a sequence: the decoder replaces it
            }
            return needed > back ? n - back : n;
        }
        return n;
    }
}
