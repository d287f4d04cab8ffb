package dev.mixtape.models.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixtape.models.tokenizer.HfBpeTokenizer;
import dev.mixtape.models.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A character-level tokenizer.json for tests: {@code <s>} = 0, {@code </s>} = 1, then one id per
 * printable ASCII character and the newline (98 ids), no merges, BOS added by the template.
 */
public final class CharacterTokenizer {
    /** Number of ids. */
    public static final int VOCAB_SIZE = 98;

    private CharacterTokenizer() {
    }

    /** Writes {@code tokenizer.json} and a {@code tokenizer_config.json} naming BOS and EOS into {@code folder}; returns the first. */
    public static Path write(Path folder) throws IOException {
        Path file = folder.resolve("tokenizer.json");
        Files.createDirectories(folder);
        new ObjectMapper().writeValue(file.toFile(), json());
        Files.writeString(folder.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\"}");
        return file;
    }

    /** The tokenizer, read through the Hugging Face reader, without a config: it names BOS (by its template) but no EOS. */
    public static Tokenizer create() {
        return HfBpeTokenizer.fromJson(json(), null, "test character tokenizer");
    }

    private static ObjectNode json() {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        ArrayNode added = root.putArray("added_tokens");
        added.addObject().put("id", 0).put("content", "<s>").put("special", true);
        added.addObject().put("id", 1).put("content", "</s>").put("special", true);
        ObjectNode post = root.putObject("post_processor").put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<s>");
        single.addObject().putObject("Sequence").put("id", "A");
        post.putObject("special_tokens").putObject("<s>").put("id", "<s>").putArray("ids").add(0);
        ObjectNode model = root.putObject("model").put("type", "BPE");
        ObjectNode vocab = model.putObject("vocab");
        vocab.put("<s>", 0).put("</s>", 1).put("\n", 2);
        for (char c = ' '; c <= '~'; c++) {
            vocab.put(String.valueOf(c), c - ' ' + 3);
        }
        model.putArray("merges");
        return root;
    }
}
