package dev.mixtape.testdata;

/**
 * GPT-2's byte-level alphabet, the way a tokenizer.json with a {@code ByteLevel} pre-tokenizer writes
 * tokens: printable Latin-1 bytes ({@code !}..{@code ~}, {@code ¡}..{@code ¬}, {@code ®}..{@code ÿ})
 * stand for themselves, the other 68 bytes in order for the characters from U+0100 on (a space is
 * {@code Ġ}, a newline {@code Ċ}). The reader of the same files lives in the models module; the
 * tokenizer test checks that the two agree by encoding and decoding through it.
 */
final class ByteLevelCharacters {
    private static final char[] CHAR_OF_BYTE = new char[256];

    static {
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            CHAR_OF_BYTE[b] = (char) (printable ? b : next++);
        }
    }

    private ByteLevelCharacters() {
    }

    /** The characters that stand for {@code bytes}, one per byte. */
    static String of(byte[] bytes) {
        StringBuilder text = new StringBuilder(bytes.length);
        for (byte b : bytes) {
            text.append(CHAR_OF_BYTE[b & 0xFF]);
        }
        return text.toString();
    }
}
