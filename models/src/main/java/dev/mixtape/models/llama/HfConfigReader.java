package dev.mixtape.models.llama;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mixtape.engine.io.StrictJson;

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

    /**
     * Parses {@code config.json}; errors name the file and the key. The file must hold exactly one
     * JSON object (see {@link StrictJson}), and every number must be in range: integers where
     * transformers expects them, sizes positive, weight matrices small enough for one array.
     */
    public static LlamaConfig read(Path configJson) throws IOException {
        JsonNode root;
        try {
            root = StrictJson.read(configJson);
        } catch (JsonProcessingException e) {
            throw new IOException(configJson + ": not valid JSON: " + StrictJson.problem(e), e);
        }
        if (root == null || !root.isObject()) {
            throw new IOException(configJson + ": not a JSON object");
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
        int dim = integer(root, "hidden_size", null);
        int heads = integer(root, "num_attention_heads", null);
        int kvHeads = integer(root, "num_key_value_heads", heads);
        int headDim = integer(root, "head_dim", heads > 0 ? dim / heads : 0);

        JsonNode rope = root.path("rope_parameters");
        JsonNode scaling = rope.isObject() ? rope : root.path("rope_scaling");
        double theta = rope.has("rope_theta") ? number(rope, "rope_theta", null) : number(root, "rope_theta", 10000.0);

        return new LlamaConfig(dim, integer(root, "intermediate_size", null), integer(root, "num_hidden_layers", null), heads,
                kvHeads, headDim, integer(root, "vocab_size", null), integer(root, "max_position_embeddings", 2048),
                number(root, "rms_norm_eps", 1e-6), theta, ropeScaling(scaling),
                root.path("tie_word_embeddings").asBoolean(false), tokenId(root, "bos_token_id", 1),
                tokenId(root, "eos_token_id", 2));
    }

    private static RopeScaling ropeScaling(JsonNode node) {
        if (node == null || !node.isObject()) {
            return null;
        }
        String kind = node.path("rope_type").asText(node.path("type").asText("default")).toLowerCase(Locale.ROOT);
        return switch (kind) {
            case "default" -> null;
            case "llama3" -> new RopeScaling(number(node, "factor", null), number(node, "low_freq_factor", null),
                    number(node, "high_freq_factor", null), integer(node, "original_max_position_embeddings", null));
            default -> throw new IllegalArgumentException("rope type '" + kind + "' is not supported (default and llama3 are)");
        };
    }

    /** A token id: a number, the first of a list, or null (none, −1); {@code fallback} when the key is absent. */
    private static int tokenId(JsonNode root, String key, int fallback) {
        JsonNode node = root.get(key);
        if (node != null && node.isArray()) {
            return node.isEmpty() ? -1 : exactInt(key + "[0]", node.get(0));
        }
        return node == null ? fallback : node.isNull() ? -1 : exactInt(key, node);
    }

    /** The integer at {@code key}, or {@code fallback} when absent (a null fallback makes it required). */
    private static int integer(JsonNode node, String key, Integer fallback) {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            if (fallback == null) {
                throw new IllegalArgumentException("'" + key + "' is missing");
            }
            return fallback;
        }
        return exactInt(key, value);
    }

    private static int exactInt(String key, JsonNode value) {
        if (!value.isNumber()) {
            throw new IllegalArgumentException("'" + key + "' is " + value + ", not a number");
        }
        if (!value.canConvertToExactIntegral()) {
            throw new IllegalArgumentException("'" + key + "' is " + value + ", not an integer");
        }
        if (!value.canConvertToInt()) {
            throw new IllegalArgumentException("'" + key + "' is " + value + ", outside the range of an int");
        }
        return value.asInt();
    }

    /** The number at {@code key}, or {@code fallback} when absent (a null fallback makes it required). */
    private static double number(JsonNode node, String key, Double fallback) {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            if (fallback == null) {
                throw new IllegalArgumentException("'" + key + "' is missing");
            }
            return fallback;
        }
        if (!value.isNumber()) {
            throw new IllegalArgumentException("'" + key + "' is " + value + ", not a number");
        }
        return value.asDouble();
    }
}
