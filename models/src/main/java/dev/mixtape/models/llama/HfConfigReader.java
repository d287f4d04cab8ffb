package dev.mixtape.models.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Reads a Hugging Face {@code config.json} of a {@code LlamaForCausalLM} into a {@link LlamaConfig}:
 * defaults as in transformers' {@code LlamaConfig}, RoPE settings in both the older form
 * ({@code rope_theta} + {@code rope_scaling}) and the newer {@code rope_parameters}, and a clear
 * refusal of what this Llama does not implement (biases, other activations, other RoPE types).
 */
public final class HfConfigReader {
    private HfConfigReader() {
    }

    /** Parses {@code config.json}; errors name the file and the key. */
    public static LlamaConfig read(Path configJson) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(configJson.toFile());
        } catch (IOException e) {
            throw new IOException(configJson + ": not readable JSON: " + e.getMessage(), e);
        }
        try {
            return parse(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(configJson + ": " + e.getMessage(), e);
        }
    }

    /** Parses the JSON tree of a config. */
    public static LlamaConfig parse(JsonNode root) {
        String type = root.path("model_type").asText("llama");
        if (!type.equals("llama")) {
            throw new IllegalArgumentException("model_type '" + type + "' is not a Llama");
        }
        String act = root.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new IllegalArgumentException("hidden_act '" + act + "' is not supported (only silu)");
        }
        for (String bias : new String[] {"attention_bias", "mlp_bias"}) {
            if (root.path(bias).asBoolean(false)) {
                throw new IllegalArgumentException(bias + ": true is not supported (this Llama has no biases)");
            }
        }
        int dim = required(root, "hidden_size");
        int heads = required(root, "num_attention_heads");
        int kvHeads = root.path("num_key_value_heads").isNumber() ? root.get("num_key_value_heads").asInt() : heads;
        int headDim = root.path("head_dim").isNumber() ? root.get("head_dim").asInt() : dim / heads;

        JsonNode rope = root.path("rope_parameters");
        JsonNode scaling = rope.isObject() ? rope : root.path("rope_scaling");
        double theta = rope.path("rope_theta").isNumber() ? rope.get("rope_theta").asDouble()
                : root.path("rope_theta").asDouble(10000.0);

        return new LlamaConfig(dim, required(root, "intermediate_size"), required(root, "num_hidden_layers"), heads, kvHeads,
                headDim, required(root, "vocab_size"), root.path("max_position_embeddings").asInt(2048),
                root.path("rms_norm_eps").asDouble(1e-6), theta, ropeScaling(scaling),
                root.path("tie_word_embeddings").asBoolean(false), tokenId(root.path("bos_token_id"), 1),
                tokenId(root.path("eos_token_id"), 2));
    }

    private static RopeScaling ropeScaling(JsonNode node) {
        if (node == null || !node.isObject()) {
            return null;
        }
        String kind = node.path("rope_type").asText(node.path("type").asText("default")).toLowerCase(Locale.ROOT);
        return switch (kind) {
            case "default" -> null;
            case "llama3" -> new RopeScaling(required(node, "factor", "rope scaling"), required(node, "low_freq_factor", "rope scaling"),
                    required(node, "high_freq_factor", "rope scaling"), required(node, "original_max_position_embeddings"));
            default -> throw new IllegalArgumentException("rope type '" + kind + "' is not supported (default and llama3 are)");
        };
    }

    private static int tokenId(JsonNode node, int fallback) {
        if (node.isArray()) {
            return node.isEmpty() ? -1 : node.get(0).asInt();
        }
        return node.isNumber() ? node.asInt() : node.isNull() ? -1 : fallback;
    }

    private static int required(JsonNode root, String key) {
        JsonNode value = root.get(key);
        if (value == null || !value.isNumber()) {
            throw new IllegalArgumentException("missing or non-numeric '" + key + "'");
        }
        return value.asInt();
    }

    private static double required(JsonNode node, String key, String where) {
        JsonNode value = node.get(key);
        if (value == null || !value.isNumber()) {
            throw new IllegalArgumentException(where + ": missing or non-numeric '" + key + "'");
        }
        return value.asDouble();
    }
}
