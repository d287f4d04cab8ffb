package dev.mixtape.models.tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The tokenizer of llama2.c ({@code tokenizer.bin}), encoding and decoding exactly as its run.c does.
 *
 * <p>File: int32 {@code max_token_length}, then for each token until the end of the file an f32 score,
 * an int32 byte length and the bytes. Ids 0, 1, 2 are {@code <unk>}, BOS and EOS; ids 3..258 are the
 * byte tokens {@code <0x00>..<0xFF>}; spaces are stored as plain spaces.
 *
 * <p>Encoding: BOS (when asked), then a dummy-prefix space token before non-empty text; each UTF-8
 * character becomes its token, or its bytes become byte tokens (id = byte + 3); then the adjacent pair
 * whose joined text is a token with the highest score merges, again and again. Pieces are compared
 * as bytes (held here as ISO-8859-1 strings, one char per byte).
 *
 * <p>Decoding: a piece right after BOS loses its leading space; byte tokens become their byte. BOS and
 * EOS decode to nothing (run.c never prints them: BOS starts a text and ends a generation).
 */
public final class Llama2cTokenizer implements Tokenizer {
    static final int BOS = 1;
    static final int EOS = 2;
    private static final int BYTE_TOKEN_OFFSET = 3;
    /** run.c starts its search for the best pair at this score, so worse pairs never merge. */
    private static final float RUN_C_FLOOR = -1e10f;
    /** Far above any real vocabulary (32,000 tokens take 0.5 MB). */
    private static final long MAX_FILE_BYTES = 256L << 20;

    private final Path file;
    private final String[] pieces;
    private final float[] scores;
    private final Map<String, Integer> idsByPiece = new HashMap<>();

    private Llama2cTokenizer(Path file, String[] pieces, float[] scores) {
        this.file = file;
        this.pieces = pieces;
        this.scores = scores;
        for (int id = 0; id < pieces.length; id++) {
            idsByPiece.putIfAbsent(pieces[id], id);
        }
    }

    /** Reads a llama2.c {@code tokenizer.bin}; a field out of range is an error naming the file, the token and the offset. */
    public static Llama2cTokenizer load(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new IOException("llama2.c tokenizer " + file + " is " + size + " bytes, more than the " + MAX_FILE_BYTES
                    + " a tokenizer may have (not a tokenizer, or corrupt)");
        }
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.remaining() < 4) {
            throw new IOException("llama2.c tokenizer " + file + " is too short for its max_token_length header");
        }
        int maxTokenLength = bytes.getInt();
        if (maxTokenLength <= 0) {
            throw new IOException("llama2.c tokenizer " + file + " has max_token_length " + maxTokenLength + " at offset 0");
        }
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        while (bytes.hasRemaining()) {
            int at = bytes.position();
            if (bytes.remaining() < 8) {
                throw new IOException("llama2.c tokenizer " + file + " is truncated in the header of token "
                        + pieces.size() + " at offset " + at);
            }
            float score = bytes.getFloat();
            if (Float.isNaN(score) || score == Float.POSITIVE_INFINITY) {
                throw new IOException("llama2.c tokenizer " + file + " gives token " + pieces.size() + " at offset " + at
                        + " the score " + score + ", which ranks no merge");
            }
            int length = bytes.getInt();
            if (length < 0 || length > maxTokenLength || length > bytes.remaining()) {
                throw new IOException("llama2.c tokenizer " + file + " gives token " + pieces.size() + " at offset " + at
                        + " a length of " + length + " bytes (max_token_length " + maxTokenLength + ", "
                        + bytes.remaining() + " bytes left)");
            }
            byte[] piece = new byte[length];
            bytes.get(piece);
            pieces.add(new String(piece, StandardCharsets.ISO_8859_1));
            scores.add(score);
        }
        if (pieces.size() < BYTE_TOKEN_OFFSET + 256) {
            throw new IOException("llama2.c tokenizer " + file + " has " + pieces.size()
                    + " tokens, fewer than <unk>, BOS, EOS and the 256 byte tokens");
        }
        float[] scoreArray = new float[scores.size()];
        for (int i = 0; i < scoreArray.length; i++) {
            scoreArray[i] = scores.get(i);
        }
        return new Llama2cTokenizer(file, pieces.toArray(new String[0]), scoreArray);
    }

    @Override
    public int[] encode(String text, boolean addSpecial) {
        List<PairMerger.Symbol> symbols = new ArrayList<>();
        if (addSpecial) {
            symbols.add(symbol(BOS));
        }
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        if (utf8.length > 0) {
            Integer space = idsByPiece.get(" ");
            if (space == null) {
                throw new IllegalArgumentException("llama2.c tokenizer " + file + " has no ' ' token for the dummy prefix");
            }
            symbols.add(symbol(space));
        }
        int start = 0;
        while (start < utf8.length) {
            int end = start + 1;
            while (end < utf8.length && (utf8[end] & 0xC0) == 0x80 && end - start < 4) {
                end++;
            }
            String character = new String(utf8, start, end - start, StandardCharsets.ISO_8859_1);
            Integer id = idsByPiece.get(character);
            if (id != null) {
                symbols.add(symbol(id));
            } else {
                for (int i = start; i < end; i++) {
                    symbols.add(symbol((utf8[i] & 0xFF) + BYTE_TOKEN_OFFSET));
                }
            }
            start = end;
        }
        List<PairMerger.Symbol> merged = PairMerger.merge(symbols, null, (left, right) -> {
            Integer id = idsByPiece.get(left.piece() + right.piece());
            return id == null || scores[id] <= RUN_C_FLOOR ? null : new PairMerger.Merge(id, scores[id]);
        });
        return merged.stream().mapToInt(PairMerger.Symbol::id).toArray();
    }

    @Override
    public StreamingDecoder newStreamingDecoder() {
        int[] previous = {-1};
        return new StreamingDecoder(id -> {
            byte[] bytes = pieceBytes(previous[0], id);
            previous[0] = id;
            return bytes;
        });
    }

    private byte[] pieceBytes(int previous, int id) {
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException("token id " + id + " is outside llama2.c tokenizer " + file
                    + " (" + pieces.length + " tokens)");
        }
        if (id == BOS || id == EOS) {
            return new byte[0];
        }
        String piece = pieces[id];
        if (previous == BOS && piece.startsWith(" ")) {
            piece = piece.substring(1);
        }
        int value = ByteTokens.parse(piece);
        if (value >= 0) {
            return new byte[] {(byte) value};
        }
        return piece.getBytes(StandardCharsets.ISO_8859_1);
    }

    private PairMerger.Symbol symbol(int id) {
        return new PairMerger.Symbol(pieces[id], id);
    }

    /** The text of one token, bytes as ISO-8859-1 chars (a space is a space). */
    String piece(int id) {
        return pieces[id];
    }

    /** The score of one token: higher merges first. */
    float score(int id) {
        return scores[id];
    }

    @Override
    public OptionalInt bosId() {
        return OptionalInt.of(BOS);
    }

    @Override
    public OptionalInt eosId() {
        return OptionalInt.of(EOS);
    }

    @Override
    public int vocabSize() {
        return pieces.length;
    }
}
