package dev.mixtape.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code model} of a tokenizer.json of type BPE: a vocabulary and a ranked list of merges. A piece
 * starts as its characters (a character missing from the vocabulary becomes its {@code <0xXX>} byte
 * tokens with {@code byte_fallback}, else the unknown token, fused with its neighbours when
 * {@code fuse_unk}; with neither it is dropped, as Hugging Face does); then the adjacent pair with
 * the lowest merge rank merges, leftmost first, until no listed pair is left. With
 * {@code ignore_merges} a piece that is itself in the vocabulary is taken whole.
 */
final class HfBpeModel {
    private final Map<String, Integer> vocab;
    private final Map<Long, PairMerger.Merge> merges;
    private final boolean byteFallback;
    private final boolean ignoreMerges;
    private final boolean fuseUnknown;
    private final int unknownId;

    private HfBpeModel(Map<String, Integer> vocab, Map<Long, PairMerger.Merge> merges, boolean byteFallback,
                       boolean ignoreMerges, boolean fuseUnknown, int unknownId) {
        this.vocab = vocab;
        this.merges = merges;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        this.fuseUnknown = fuseUnknown;
        this.unknownId = unknownId;
    }

    /** Reads the {@code model} object of a tokenizer.json. */
    static HfBpeModel fromJson(JsonNode model, String source) {
        String type = model.path("type").asText("BPE");
        if (!type.equals("BPE")) {
            throw new IllegalArgumentException(source + " has a model of type '" + type + "'; Mixtape reads BPE models only");
        }
        for (String unsupported : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            if (model.hasNonNull(unsupported) && !model.get(unsupported).asText().isEmpty()) {
                throw new IllegalArgumentException(source + " sets model." + unsupported + ", which Mixtape does not support");
            }
        }
        if (model.hasNonNull("dropout") && model.get("dropout").asDouble() != 0) {
            throw new IllegalArgumentException(source + " sets model.dropout (random merges at training time), which Mixtape does not support");
        }
        Map<String, Integer> vocab = new HashMap<>();
        for (Map.Entry<String, JsonNode> entry : model.path("vocab").properties()) {
            vocab.put(entry.getKey(), entry.getValue().asInt());
        }
        if (vocab.isEmpty()) {
            throw new IllegalArgumentException(source + " has no model.vocab");
        }
        Map<Long, PairMerger.Merge> merges = new HashMap<>();
        int rank = 0;
        for (JsonNode merge : model.path("merges")) {
            String left;
            String right;
            if (merge.isArray() && merge.size() == 2) {
                left = merge.get(0).asText();
                right = merge.get(1).asText();
            } else {
                String[] parts = merge.asText().split(" ", -1);
                if (parts.length != 2) {
                    throw new IllegalArgumentException(source + " has merge #" + rank + " '" + merge.asText()
                            + "', which is not two tokens separated by one space");
                }
                left = parts[0];
                right = parts[1];
            }
            Integer leftId = vocab.get(left);
            Integer rightId = vocab.get(right);
            Integer mergedId = vocab.get(left + right);
            if (leftId == null || rightId == null || mergedId == null) {
                throw new IllegalArgumentException(source + " has merge #" + rank + " '" + left + "' + '" + right
                        + "' whose parts or result are not in the vocabulary");
            }
            merges.putIfAbsent(pairKey(leftId, rightId), new PairMerger.Merge(mergedId, -rank));
            rank++;
        }
        String unknown = model.path("unk_token").isTextual() ? model.get("unk_token").asText() : null;
        int unknownId = -1;
        if (unknown != null) {
            Integer id = vocab.get(unknown);
            if (id == null) {
                throw new IllegalArgumentException(source + " names the unknown token '" + unknown + "', which is not in the vocabulary");
            }
            unknownId = id;
        }
        return new HfBpeModel(vocab, merges, model.path("byte_fallback").asBoolean(false),
                model.path("ignore_merges").asBoolean(false), model.path("fuse_unk").asBoolean(false), unknownId);
    }

    /** Appends the ids of one pre-tokenized piece to {@code out}. */
    void encode(String piece, List<Integer> out) {
        if (ignoreMerges) {
            Integer whole = vocab.get(piece);
            if (whole != null) {
                out.add(whole);
                return;
            }
        }
        List<PairMerger.Symbol> symbols = new ArrayList<>();
        boolean previousUnknown = false;
        for (int at = 0; at < piece.length(); ) {
            String character = piece.substring(at, at + Character.charCount(piece.codePointAt(at)));
            at += character.length();
            Integer id = vocab.get(character);
            if (id != null) {
                symbols.add(new PairMerger.Symbol(character, id));
                previousUnknown = false;
            } else if (byteFallback && addByteTokens(character, symbols)) {
                previousUnknown = false;
            } else if (unknownId >= 0) {
                if (!(fuseUnknown && previousUnknown)) {
                    symbols.add(new PairMerger.Symbol(character, unknownId));
                }
                previousUnknown = true;
            }
        }
        for (PairMerger.Symbol symbol : PairMerger.merge(symbols, null,
                (left, right) -> merges.get(pairKey(left.id(), right.id())))) {
            out.add(symbol.id());
        }
    }

    private boolean addByteTokens(String character, List<PairMerger.Symbol> symbols) {
        List<PairMerger.Symbol> bytes = new ArrayList<>();
        for (byte b : character.getBytes(StandardCharsets.UTF_8)) {
            String name = ByteTokens.name(b & 0xFF);
            Integer id = vocab.get(name);
            if (id == null) {
                return false;
            }
            bytes.add(new PairMerger.Symbol(name, id));
        }
        symbols.addAll(bytes);
        return true;
    }

    /** The vocabulary: token text to id. */
    Map<String, Integer> vocab() {
        return vocab;
    }

    private static long pairKey(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFF_FFFFL);
    }
}
