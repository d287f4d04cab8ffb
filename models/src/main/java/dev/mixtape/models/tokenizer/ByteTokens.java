package dev.mixtape.models.tokenizer;

/** The byte tokens of SentencePiece-style vocabularies: {@code <0x00>} to {@code <0xFF>}, one per byte value. */
final class ByteTokens {
    private ByteTokens() {
    }

    /** The name of the token for byte {@code value}, e.g. {@code <0x0A>}. */
    static String name(int value) {
        return String.format("<0x%02X>", value);
    }

    /** The byte a piece like {@code <0x0A>} stands for, or −1 when the piece is not a byte token. */
    static int parse(String piece) {
        if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') {
            return -1;
        }
        int high = hexDigit(piece.charAt(3));
        int low = hexDigit(piece.charAt(4));
        return high < 0 || low < 0 ? -1 : high * 16 + low;
    }

    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    }
}
