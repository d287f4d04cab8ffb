package dev.mixtape.models.tokenizer;

import dev.mixtape.models.gguf.GgufFile;
import dev.mixtape.models.gguf.GgufMetadata;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A SentencePiece BPE tokenizer with byte fallback, as Llama 1/2 and TinyLlama use, read from the
 * vocabulary that GGUF embeds ({@code tokenizer.ggml.model = llama}: tokens, scores, token types).
 *
 * <p>Encoding as SentencePiece does: spaces become {@code ▁} and a dummy-prefix {@code ▁} goes before
 * non-empty text; the text splits into characters (user-defined pieces stay whole); then the adjacent
 * pair whose joined text is a normal piece with the highest score merges, leftmost first on ties,
 * until none can. A symbol that is not a piece becomes its UTF-8 bytes as {@code <0xXX>} tokens.
 * Control tokens ({@code <s>}) in the text are plain text, as in SentencePiece.
 *
 * <p>Decoding: control tokens vanish, {@code <unk>} shows as " ⁇ ", byte tokens become their byte,
 * {@code ▁} becomes a space, and the first piece that shows anything loses one leading {@code ▁}
 * (the dummy prefix).
 */
public final class SentencePieceTokenizer implements Tokenizer {
    /** Token types as GGUF stores them (llama.cpp's numbering). */
    static final int NORMAL = 1;
    static final int UNKNOWN = 2;
    static final int CONTROL = 3;
    static final int USER_DEFINED = 4;
    static final int UNUSED = 5;
    static final int BYTE = 6;
    private static final String SPACE = "▁";
    private static final String UNKNOWN_SURFACE = " ⁇ ";

    private final String source;
    private final String[] pieces;
    private final float[] scores;
    private final int[] types;
    private final Map<String, Integer> mergeableIds = new HashMap<>();
    private final int[] byteIds = new int[256];
    private final List<String> userDefinedLongestFirst = new ArrayList<>();
    private final OptionalInt bos;
    private final OptionalInt eos;
    private final int unknownId;
    private final boolean addBos;
    private final boolean addEos;
    private final boolean addSpacePrefix;

    SentencePieceTokenizer(String source, String[] pieces, float[] scores, int[] types, OptionalInt bos, OptionalInt eos,
                           boolean addBos, boolean addEos, boolean addSpacePrefix) {
        if (scores.length != pieces.length || types.length != pieces.length) {
            throw new IllegalArgumentException(source + " has " + pieces.length + " tokens but " + scores.length
                    + " scores and " + types.length + " token types");
        }
        for (int id = 0; id < scores.length; id++) {
            if (Float.isNaN(scores[id]) || scores[id] == Float.POSITIVE_INFINITY) {
                throw new IllegalArgumentException(source + " gives token " + id + " the score " + scores[id] + ", which ranks no merge");
            }
        }
        this.source = source;
        this.pieces = pieces;
        this.scores = scores;
        this.types = types;
        this.bos = checked(bos, "BOS");
        this.eos = checked(eos, "EOS");
        this.addBos = addBos;
        this.addEos = addEos;
        this.addSpacePrefix = addSpacePrefix;
        Arrays.fill(byteIds, -1);
        int unknown = -1;
        for (int id = 0; id < pieces.length; id++) {
            switch (types[id]) {
                case NORMAL -> mergeableIds.putIfAbsent(pieces[id], id);
                case USER_DEFINED -> {
                    mergeableIds.putIfAbsent(pieces[id], id);
                    userDefinedLongestFirst.add(pieces[id]);
                }
                case BYTE -> {
                    int value = ByteTokens.parse(pieces[id]);
                    if (value < 0) {
                        throw new IllegalArgumentException(source + " token " + id + " '" + pieces[id]
                                + "' has the byte type but is not of the form <0xXX>");
                    }
                    byteIds[value] = id;
                }
                case UNKNOWN -> unknown = unknown < 0 ? id : unknown;
                case CONTROL, UNUSED -> {
                }
                default -> throw new IllegalArgumentException(source + " token " + id + " '" + pieces[id]
                        + "' has the unknown token type " + types[id]);
            }
        }
        this.unknownId = unknown;
        userDefinedLongestFirst.sort(Comparator.comparingInt(String::length).reversed());
    }

    /** Reads the SentencePiece vocabulary embedded in a GGUF file. */
    public static SentencePieceTokenizer load(Path gguf) throws IOException {
        try (GgufFile file = GgufFile.open(gguf)) {
            return fromGguf(file);
        }
    }

    /** Reads the SentencePiece vocabulary from an open GGUF file's metadata. */
    public static SentencePieceTokenizer fromGguf(GgufFile file) {
        GgufMetadata meta = file.metadata();
        String model = meta.getString("tokenizer.ggml.model");
        if (!model.equals("llama")) {
            throw new IllegalArgumentException("GGUF file " + file.path() + " has tokenizer.ggml.model '" + model
                    + "'; Mixtape reads the SentencePiece vocabulary ('llama') from GGUF");
        }
        String[] tokens = meta.getStringArray("tokenizer.ggml.tokens");
        float[] scores = meta.getFloatArray("tokenizer.ggml.scores");
        int[] types = meta.has("tokenizer.ggml.token_type") ? meta.getIntArray("tokenizer.ggml.token_type") : normalTypes(tokens.length);
        return new SentencePieceTokenizer("GGUF file " + file.path(), tokens, scores, types,
                optionalId(meta, "tokenizer.ggml.bos_token_id"), optionalId(meta, "tokenizer.ggml.eos_token_id"),
                !meta.has("tokenizer.ggml.add_bos_token") || meta.getBoolean("tokenizer.ggml.add_bos_token"),
                meta.has("tokenizer.ggml.add_eos_token") && meta.getBoolean("tokenizer.ggml.add_eos_token"),
                !meta.has("tokenizer.ggml.add_space_prefix") || meta.getBoolean("tokenizer.ggml.add_space_prefix"));
    }

    @Override
    public int[] encode(String text, boolean addSpecial) {
        List<Integer> ids = new ArrayList<>();
        if (addSpecial && addBos && bos.isPresent()) {
            ids.add(bos.getAsInt());
        }
        if (!text.isEmpty()) {
            String normalized = (addSpacePrefix ? SPACE : "") + text.replace(" ", SPACE);
            List<PairMerger.Symbol> symbols = new ArrayList<>();
            List<Boolean> frozen = new ArrayList<>();
            int at = 0;
            while (at < normalized.length()) {
                String userDefined = userDefinedAt(normalized, at);
                String piece = userDefined != null ? userDefined
                        : normalized.substring(at, at + Character.charCount(normalized.codePointAt(at)));
                symbols.add(new PairMerger.Symbol(piece, mergeableIds.getOrDefault(piece, -1)));
                frozen.add(userDefined != null);
                at += piece.length();
            }
            boolean[] frozenArray = new boolean[frozen.size()];
            for (int i = 0; i < frozenArray.length; i++) {
                frozenArray[i] = frozen.get(i);
            }
            for (PairMerger.Symbol symbol : PairMerger.merge(symbols, frozenArray, (left, right) -> {
                Integer id = mergeableIds.get(left.piece() + right.piece());
                return id == null ? null : new PairMerger.Merge(id, scores[id]);
            })) {
                if (symbol.id() >= 0) {
                    ids.add(symbol.id());
                } else {
                    addBytes(symbol.piece(), ids);
                }
            }
        }
        if (addSpecial && addEos && eos.isPresent()) {
            ids.add(eos.getAsInt());
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private String userDefinedAt(String text, int at) {
        for (String piece : userDefinedLongestFirst) {
            if (text.startsWith(piece, at)) {
                return piece;
            }
        }
        return null;
    }

    private void addBytes(String piece, List<Integer> ids) {
        for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
            int id = byteIds[b & 0xFF];
            if (id < 0 && unknownId < 0) {
                throw new IllegalStateException(source + " has neither a byte token " + ByteTokens.name(b & 0xFF)
                        + " nor an unknown token for the text '" + piece + "'");
            }
            ids.add(id >= 0 ? id : unknownId);
        }
    }

    @Override
    public StreamingDecoder newStreamingDecoder() {
        boolean[] atStart = {true};
        return new StreamingDecoder(id -> {
            checkId(id);
            return switch (types[id]) {
                case CONTROL -> new byte[0];
                case UNKNOWN -> {
                    atStart[0] = false;
                    yield UNKNOWN_SURFACE.getBytes(StandardCharsets.UTF_8);
                }
                case BYTE -> {
                    atStart[0] = false;
                    yield new byte[] {(byte) ByteTokens.parse(pieces[id])};
                }
                default -> {
                    String piece = pieces[id];
                    if (atStart[0] && addSpacePrefix && piece.startsWith(SPACE)) {
                        piece = piece.substring(SPACE.length());
                        atStart[0] = false;
                    }
                    if (!piece.isEmpty()) {
                        atStart[0] = false;
                    }
                    yield piece.replace(SPACE, " ").getBytes(StandardCharsets.UTF_8);
                }
            };
        });
    }

    private void checkId(int id) {
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + source
                    + " (" + pieces.length + " tokens)");
        }
    }

    private OptionalInt checked(OptionalInt id, String what) {
        if (id.isPresent() && (id.getAsInt() < 0 || id.getAsInt() >= pieces.length)) {
            throw new IllegalArgumentException(source + " names " + what + " id " + id.getAsInt()
                    + ", outside its " + pieces.length + " tokens");
        }
        return id;
    }

    private static OptionalInt optionalId(GgufMetadata meta, String key) {
        return meta.has(key) ? OptionalInt.of(meta.getInt(key)) : OptionalInt.empty();
    }

    private static int[] normalTypes(int count) {
        int[] types = new int[count];
        Arrays.fill(types, NORMAL);
        return types;
    }

    @Override
    public OptionalInt bosId() {
        return bos;
    }

    @Override
    public OptionalInt eosId() {
        return eos;
    }

    @Override
    public int vocabSize() {
        return pieces.length;
    }
}
