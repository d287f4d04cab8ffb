package dev.mixtape.models.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixtape.engine.SharedFiles;
import dev.mixtape.models.gguf.GgufFile;
import dev.mixtape.models.gguf.GgufMetadata;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SentencePiece-style tokenizer.json (Llama 2, TinyLlama): built here from the llama-spm GGUF
 * vocabulary the way Hugging Face's converter writes one (normalizer Prepend "▁" + Replace " "→"▁",
 * BPE with byte_fallback and merges ranked by the merged piece's score, decoder Replace, ByteFallback,
 * Fuse, Strip), then checked against llama.cpp's 46 test vectors, which came from that tokenizer.
 */
class HfBpeTokenizerSentencePieceStyleTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DIR = "tokenizers/llama-spm/";

    @Test
    void encodesAllLlamaCppTestVectorsAndDecodesThemBack() throws IOException {
        Tokenizer tokenizer = HfBpeTokenizer.fromJson(llama2StyleJson(), null, "Llama 2 style tokenizer.json");
        LlamaSpmVectors vectors = LlamaSpmVectors.read(SharedFiles.require(DIR + "ggml-vocab-llama-spm.gguf.inp"),
                SharedFiles.require(DIR + "ggml-vocab-llama-spm.gguf.out"));
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < vectors.texts().size(); i++) {
            String text = vectors.texts().get(i);
            int[] actual = tokenizer.encode(text, false);
            if (!Arrays.equals(vectors.ids().get(i), actual)) {
                failures.add("#" + i + " encode: expected " + Arrays.toString(vectors.ids().get(i)) + " got " + Arrays.toString(actual));
            }
            if (!tokenizer.decode(vectors.ids().get(i)).equals(text)) {
                failures.add("#" + i + " decode gave " + JSON.valueToTree(tokenizer.decode(vectors.ids().get(i))));
            }
        }
        assertEquals(46, vectors.texts().size());
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    @Test
    void addsBosThroughTheTemplateAndKeepsSpecialTokensWhole() throws IOException {
        Tokenizer tokenizer = HfBpeTokenizer.fromJson(llama2StyleJson(), null, "Llama 2 style tokenizer.json");
        assertArrayEquals(new int[] {1, 15043, 3186}, tokenizer.encode("Hello world", true));
        assertArrayEquals(new int[] {15043, 2, 3186}, tokenizer.encode("Hello</s>world", false),
                "</s> is cut out before normalizing, and each side gets its own ▁ prefix");
        assertEquals(OptionalInt.of(1), tokenizer.bosId());
        assertEquals(OptionalInt.empty(), tokenizer.eosId());
        assertEquals(32000, tokenizer.vocabSize());
        assertEquals("<s> Hello world", tokenizer.decode(new int[] {1, 15043, 3186}),
                "special tokens are rendered, as Hugging Face does without skip_special_tokens");
    }

    /** A tokenizer.json of the Llama 2 kind, from the GGUF vocabulary. */
    private static ObjectNode llama2StyleJson() throws IOException {
        String[] pieces;
        float[] scores;
        int[] types;
        try (GgufFile gguf = GgufFile.open(SharedFiles.require(DIR + "ggml-vocab-llama-spm.gguf"))) {
            GgufMetadata meta = gguf.metadata();
            pieces = meta.getStringArray("tokenizer.ggml.tokens");
            scores = meta.getFloatArray("tokenizer.ggml.scores");
            types = meta.getIntArray("tokenizer.ggml.token_type");
        }
        ObjectNode root = JSON.createObjectNode();
        ArrayNode added = root.putArray("added_tokens");
        for (int id = 0; id < 3; id++) {
            added.addObject().put("id", id).put("content", pieces[id]).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        ArrayNode normalizers = root.putObject("normalizer").put("type", "Sequence").putArray("normalizers");
        normalizers.addObject().put("type", "Prepend").put("prepend", "▁");
        ObjectNode replace = normalizers.addObject().put("type", "Replace").put("content", "▁");
        replace.putObject("pattern").put("String", " ");
        root.putNull("pre_tokenizer");
        ObjectNode template = root.putObject("post_processor").put("type", "TemplateProcessing");
        template.putArray("single").addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        ((ArrayNode) template.get("single")).addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        template.putObject("special_tokens").putObject("<s>").put("id", "<s>").putArray("ids").add(1);
        ArrayNode decoders = root.putObject("decoder").put("type", "Sequence").putArray("decoders");
        ObjectNode spaces = decoders.addObject().put("type", "Replace").put("content", " ");
        spaces.putObject("pattern").put("String", "▁");
        decoders.addObject().put("type", "ByteFallback");
        decoders.addObject().put("type", "Fuse");
        decoders.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        ObjectNode model = root.putObject("model").put("type", "BPE").putNull("dropout").put("unk_token", "<unk>")
                .putNull("continuing_subword_prefix").putNull("end_of_word_suffix").put("fuse_unk", true)
                .put("byte_fallback", true);
        ObjectNode vocab = model.putObject("vocab");
        Map<String, Integer> ids = new HashMap<>();
        for (int id = 0; id < pieces.length; id++) {
            vocab.put(pieces[id], id);
            ids.put(pieces[id], id);
        }
        ArrayNode merges = model.putArray("merges");
        for (int[] merge : merges(pieces, scores, types, ids)) {
            merges.addArray().add(pieces[merge[0]]).add(pieces[merge[1]]);
        }
        return root;
    }

    /**
     * Every split of a normal piece into two pieces of the vocabulary, best merged score first, ties
     * in the order of the left then the right piece's id (as the converter's stable sort leaves them).
     */
    private static List<int[]> merges(String[] pieces, float[] scores, int[] types, Map<String, Integer> ids) {
        List<int[]> merges = new ArrayList<>();
        for (int id = 0; id < pieces.length; id++) {
            if (types[id] != SentencePieceTokenizer.NORMAL) {
                continue;
            }
            String piece = pieces[id];
            for (int cut = 1; cut < piece.length(); cut++) {
                if (Character.isLowSurrogate(piece.charAt(cut))) {
                    continue;
                }
                Integer left = ids.get(piece.substring(0, cut));
                Integer right = ids.get(piece.substring(cut));
                if (left != null && right != null) {
                    merges.add(new int[] {left, right, id});
                }
            }
        }
        merges.sort(Comparator.<int[]>comparingDouble(m -> -scores[m[2]]).thenComparingInt(m -> m[0]).thenComparingInt(m -> m[1]));
        return merges;
    }
}
