package dev.mixtape.models.tokenizer;

import java.util.HashMap;
import java.util.Map;

/**
 * GPT-2's byte-level alphabet: each of the 256 byte values stands for one printable character, so
 * that any UTF-8 text becomes a string of "visible" characters a BPE vocabulary can hold. Printable
 * Latin-1 bytes ({@code !}..{@code ~}, {@code ¡}..{@code ¬}, {@code ®}..{@code ÿ}) stand for
 * themselves; the other 68 bytes, in order, take the characters from U+0100 on (so a space, byte 32,
 * is {@code Ġ} U+0120 and a newline {@code Ċ} U+010A).
 */
final class ByteLevelAlphabet {
    private static final char[] CHAR_OF_BYTE = new char[256];
    private static final Map<Character, Integer> BYTE_OF_CHAR = new HashMap<>();

    static {
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            CHAR_OF_BYTE[b] = (char) (printable ? b : next++);
            BYTE_OF_CHAR.put(CHAR_OF_BYTE[b], b);
        }
    }

    private ByteLevelAlphabet() {
    }

    /** The characters that stand for {@code bytes}, one per byte. */
    static String encode(byte[] bytes) {
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = CHAR_OF_BYTE[bytes[i] & 0xFF];
        }
        return new String(chars);
    }

    /** The byte a character stands for, or −1 when it is not in the alphabet. */
    static int byteOf(char c) {
        return BYTE_OF_CHAR.getOrDefault(c, -1);
    }
}
