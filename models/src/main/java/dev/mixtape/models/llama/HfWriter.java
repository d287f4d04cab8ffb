package dev.mixtape.models.llama;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.io.AtomicFile;
import dev.mixtape.engine.io.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes a {@link Llama} as a Hugging Face model folder that {@link HfCheckpoint} (and transformers'
 * {@code LlamaForCausalLM.from_pretrained}) reads: {@code model.safetensors} (f32, the parameters
 * under their HF names, no {@code lm_head.weight} when tied), the tokenizer's {@code tokenizer.json}
 * and, when there is one beside it, {@code tokenizer_config.json}, and {@code config.json}.
 *
 * <p>Each file is replaced atomically (written beside its target, then renamed over it), and
 * {@code config.json}, which is what makes a folder a model, comes last: a reader sees the old
 * folder, or a new folder whose files are all complete. Other files in the folder are left alone.
 * A model with adapters injected is written with their parameters too; to get a plain Llama, fold
 * one in first with {@code Adapters.mergeAndUnload}.
 */
public final class HfWriter {
    private static final String TOKENIZER_CONFIG = "tokenizer_config.json";

    private HfWriter() {
    }

    /**
     * Writes {@code model} and the tokenizer in {@code tokenizerJson} (a Hugging Face
     * {@code tokenizer.json}; null to write no tokenizer) into {@code folder}, creating it if needed.
     */
    public static void write(Llama model, Path tokenizerJson, Path folder) throws IOException {
        if (tokenizerJson != null && !tokenizerJson.getFileName().toString().endsWith(".json")) {
            throw new IllegalArgumentException("only a Hugging Face tokenizer.json can go into an HF folder, not " + tokenizerJson);
        }
        Files.createDirectories(folder);
        SafetensorsWriter.write(folder.resolve("model.safetensors"), model.namedParameters(), Map.of("format", "pt"), DType.F32);
        if (tokenizerJson != null) {
            AtomicFile.write(folder.resolve("tokenizer.json"), Files.readAllBytes(tokenizerJson));
            Path tokenizerConfig = tokenizerJson.resolveSibling(TOKENIZER_CONFIG);
            if (Files.isRegularFile(tokenizerConfig)) {
                AtomicFile.write(folder.resolve(TOKENIZER_CONFIG), Files.readAllBytes(tokenizerConfig));
            }
        }
        ObjectMapper json = new ObjectMapper();
        AtomicFile.write(folder.resolve("config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsBytes(configJson(json, model.config())));
    }

    /** The {@code config.json} of a {@code LlamaForCausalLM} with this config; {@link HfConfigReader} reads it back equal. */
    static ObjectNode configJson(ObjectMapper json, LlamaConfig config) {
        ObjectNode root = json.createObjectNode();
        root.putArray("architectures").add("LlamaForCausalLM");
        root.put("model_type", "llama")
                .put("hidden_size", config.dim())
                .put("intermediate_size", config.hiddenDim())
                .put("num_hidden_layers", config.layers())
                .put("num_attention_heads", config.heads())
                .put("num_key_value_heads", config.kvHeads())
                .put("head_dim", config.headDim())
                .put("vocab_size", config.vocabSize())
                .put("max_position_embeddings", config.maxPositions())
                .put("rms_norm_eps", config.normEps())
                .put("rope_theta", config.ropeTheta())
                .put("hidden_act", "silu")
                .put("attention_bias", false)
                .put("mlp_bias", false)
                .put("tie_word_embeddings", config.tieWordEmbeddings())
                .put("torch_dtype", "float32");
        RopeScaling scaling = config.ropeScaling();
        if (scaling == null) {
            root.putNull("rope_scaling");
        } else {
            root.putObject("rope_scaling").put("rope_type", "llama3").put("factor", scaling.factor())
                    .put("low_freq_factor", scaling.lowFreqFactor()).put("high_freq_factor", scaling.highFreqFactor())
                    .put("original_max_position_embeddings", scaling.originalMaxPositions());
        }
        putTokenId(root, "bos_token_id", config.bosId());
        putTokenId(root, "eos_token_id", config.eosId());
        return root;
    }

    private static void putTokenId(ObjectNode root, String key, int id) {
        if (id < 0) {
            root.putNull(key);
        } else {
            root.put(key, id);
        }
    }
}
