package dev.mixtape.testdata;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a trained {@link BpeTrainer.Vocabulary} as Hugging Face's {@code tokenizer.json} (a
 * byte-level BPE: GPT-2's pre-tokenizer without an added prefix space, ByteLevel decoder, a template
 * that puts BOS before every text) and a {@code tokenizer_config.json} naming BOS and EOS. Ids:
 * {@code <|bos|>} is 0, {@code <|eos|>} is 1, the 256 bytes follow from 2, then the merged tokens.
 */
final class TokenizerFiles {
    static final String BOS = "<|bos|>";
    static final String EOS = "<|eos|>";
    static final List<String> SPECIAL_TOKENS = List.of(BOS, EOS);

    private TokenizerFiles() {
    }

    /** Writes {@code tokenizer.json} and {@code tokenizer_config.json} into {@code folder}. */
    static void write(BpeTrainer.Vocabulary vocabulary, Path folder) throws IOException {
        ObjectMapper json = new ObjectMapper();
        json.writerWithDefaultPrettyPrinter().writeValue(folder.resolve("tokenizer.json").toFile(), tokenizerJson(json, vocabulary));
        ObjectNode config = json.createObjectNode()
                .put("tokenizer_class", "PreTrainedTokenizerFast")
                .put("bos_token", BOS)
                .put("eos_token", EOS)
                .put("clean_up_tokenization_spaces", false);
        json.writerWithDefaultPrettyPrinter().writeValue(folder.resolve("tokenizer_config.json").toFile(), config);
    }

    private static ObjectNode tokenizerJson(ObjectMapper json, BpeTrainer.Vocabulary vocabulary) {
        ObjectNode root = json.createObjectNode().put("version", "1.0").putNull("truncation").putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id = 0; id < SPECIAL_TOKENS.size(); id++) {
            added.addObject().put("id", id).put("content", SPECIAL_TOKENS.get(id)).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel(json));
        ObjectNode post = root.putObject("post_processor").put("type", "TemplateProcessing");
        post.putArray("single").add(specialItem(json)).add(sequenceItem(json, "A"));
        post.putArray("pair").add(specialItem(json)).add(sequenceItem(json, "A")).add(specialItem(json)).add(sequenceItem(json, "B"));
        ObjectNode bos = post.putObject("special_tokens").putObject(BOS).put("id", BOS);
        bos.putArray("ids").add(0);
        bos.putArray("tokens").add(BOS);
        root.set("decoder", byteLevel(json));

        ObjectNode model = root.putObject("model").put("type", "BPE").putNull("dropout").putNull("unk_token")
                .putNull("continuing_subword_prefix").putNull("end_of_word_suffix")
                .put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < SPECIAL_TOKENS.size(); id++) {
            vocab.put(SPECIAL_TOKENS.get(id), id);
        }
        for (int token = 0; token < vocabulary.tokenBytes().size(); token++) {
            vocab.put(text(vocabulary, token), SPECIAL_TOKENS.size() + token);
        }
        ArrayNode merges = model.putArray("merges");
        for (BpeTrainer.Merge merge : vocabulary.merges()) {
            merges.addArray().add(text(vocabulary, merge.left())).add(text(vocabulary, merge.right()));
        }
        return root;
    }

    private static String text(BpeTrainer.Vocabulary vocabulary, int token) {
        return ByteLevelCharacters.of(vocabulary.tokenBytes().get(token));
    }

    private static ObjectNode byteLevel(ObjectMapper json) {
        return json.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", true);
    }

    private static ObjectNode specialItem(ObjectMapper json) {
        ObjectNode item = json.createObjectNode();
        item.putObject("SpecialToken").put("id", BOS).put("type_id", 0);
        return item;
    }

    private static ObjectNode sequenceItem(ObjectMapper json, String id) {
        ObjectNode item = json.createObjectNode();
        item.putObject("Sequence").put("id", id).put("type_id", 0);
        return item;
    }
}
