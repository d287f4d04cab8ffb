package dev.mixtape.adapters;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixtape.engine.io.AtomicFile;
import dev.mixtape.engine.io.StrictJson;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code adapter_config.json} to {@link LoraConfig} and back, with PEFT's keys. Unknown keys are
 * ignored when reading; keys whose meaning Mixtape does not implement (DoRA, {@code fan_in_fan_out},
 * a trained bias, ...) are refused when set, naming the key. MoSLoRA is marked as its reference code
 * does, {@code "lora_use_mixer": true}; the mixer's initialisation is kept under
 * {@code "mixtape_mixer_init"}, a key other readers ignore.
 */
final class PeftConfigJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String MIXER_INIT_KEY = "mixtape_mixer_init";

    /** Keys that change the meaning of an adapter when set (not null, false, "none" or empty), and why Mixtape refuses them. */
    private static final Map<String, String> UNSUPPORTED = unsupportedKeys();

    private PeftConfigJson() {
    }

    private static Map<String, String> unsupportedKeys() {
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("use_dora", "DoRA (weight-decomposed LoRA) is not implemented");
        keys.put("fan_in_fan_out", "it describes weights stored [in, out] (GPT-2's Conv1D); Mixtape's Linear weights are [out, in]");
        keys.put("bias", "training biases is not implemented; only \"none\" is");
        keys.put("lora_bias", "a trained bias on lora_B is not implemented");
        keys.put("modules_to_save", "fully trained extra modules are not implemented");
        keys.put("exclude_modules", "excluding modules from the targets is not implemented");
        keys.put("layer_replication", "layer replication is not implemented");
        keys.put("target_parameters", "LoRA on parameters (rather than Linear modules) is not implemented");
        keys.put("trainable_token_indices", "trainable token embeddings are not implemented");
        keys.put("use_qalora", "QALoRA is not implemented");
        return keys;
    }

    /** Reads and checks {@code file}; a {@link PeftFormatException} names any key it cannot honour. */
    static LoraConfig read(Path file) throws IOException {
        JsonNode root;
        try {
            root = StrictJson.read(file);
        } catch (JsonProcessingException e) {
            throw new PeftFormatException(file, "not valid JSON: " + StrictJson.problem(e), e);
        }
        if (root == null || !root.isObject()) {
            throw new PeftFormatException(file, "not a JSON object");
        }
        return new Reader(file, root).config();
    }

    /** The checks and conversions of one file, each error naming the file and the key. */
    private record Reader(Path file, JsonNode root) {
        LoraConfig config() {
            String peftType = text("peft_type", null);
            if (!"LORA".equals(peftType)) {
                throw fail("peft_type is " + quoted(peftType) + "; Mixtape reads LoRA adapters (\"LORA\") only");
            }
            String taskType = text("task_type", "CAUSAL_LM");
            if (!taskType.equals("CAUSAL_LM")) {
                throw fail("task_type is \"" + taskType + "\"; Mixtape reads causal language model adapters (\"CAUSAL_LM\") only");
            }
            UNSUPPORTED.forEach((key, why) -> {
                if (isSet(key)) {
                    throw fail(key + " is " + root.get(key) + ", which Mixtape cannot honour: " + why);
                }
            });
            try {
                LoraConfig.Builder builder = LoraConfig.builder(targets())
                        .r(integer("r", 8))
                        .alpha(number("lora_alpha", 8))
                        .dropout(number("lora_dropout", 0))
                        .useRslora(bool("use_rslora", false))
                        .init(init())
                        .layersToTransform(layers())
                        .layersPattern(layers().isEmpty() ? List.of() : strings("layers_pattern"))
                        .rankPattern(integerMap("rank_pattern"))
                        .alphaPattern(numberMap("alpha_pattern"))
                        .baseModelNameOrPath(text("base_model_name_or_path", null));
                if (bool("lora_use_mixer", false)) {
                    builder.mixer(mixerInit());
                }
                return builder.build();
            } catch (IllegalArgumentException e) {
                throw new PeftFormatException(file, e.getMessage(), e);
            }
        }

        /** Whether {@code key} holds anything but an "off" value: absent, null, false, "none", [] or {}. */
        private boolean isSet(String key) {
            JsonNode node = root.get(key);
            if (node == null || node.isNull() || node.isBoolean() && !node.booleanValue()) {
                return false;
            }
            if (node.isTextual()) {
                return !node.textValue().equals("none");
            }
            return !(node.isContainerNode() && node.isEmpty());
        }

        private TargetModules targets() {
            JsonNode node = root.get("target_modules");
            if (node == null || node.isNull()) {
                throw fail("target_modules is missing; PEFT would pick defaults by model type, Mixtape needs them named");
            }
            if (node.isTextual()) {
                return node.textValue().equalsIgnoreCase(TargetModules.AllLinear.KEYWORD)
                        ? new TargetModules.AllLinear() : new TargetModules.Regex(node.textValue());
            }
            return new TargetModules.Names(strings("target_modules"));
        }

        private LoraInit init() {
            JsonNode node = root.get("init_lora_weights");
            if (node == null || node.isNull() || node.isBoolean() && node.booleanValue()) {
                return LoraInit.KAIMING;
            }
            if (node.isBoolean()) {
                return LoraInit.RANDOM;
            }
            if (node.isTextual() && node.textValue().equalsIgnoreCase("gaussian")) {
                return LoraInit.GAUSSIAN;
            }
            throw fail("init_lora_weights " + node + " is not implemented (only true, false and \"gaussian\" are); "
                    + "initialisations such as PiSSA or LoftQ also change the base weights");
        }

        private MixerInit mixerInit() {
            String name = text(MIXER_INIT_KEY, MixerInit.KAIMING.name());
            try {
                return MixerInit.valueOf(name.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw fail(MIXER_INIT_KEY + " is \"" + name + "\"; expected one of " + List.of(MixerInit.values()));
            }
        }

        private List<Integer> layers() {
            JsonNode node = root.get("layers_to_transform");
            if (node == null || node.isNull()) {
                return List.of();
            }
            if (node.canConvertToInt() && node.isIntegralNumber()) {
                return List.of(node.intValue());
            }
            List<Integer> layers = new ArrayList<>();
            for (JsonNode element : elements("layers_to_transform", node)) {
                if (!element.isIntegralNumber() || !element.canConvertToInt()) {
                    throw fail("layers_to_transform holds " + element + ", not a layer index");
                }
                layers.add(element.intValue());
            }
            return layers;
        }

        private List<String> strings(String key) {
            JsonNode node = root.get(key);
            if (node == null || node.isNull()) {
                return List.of();
            }
            if (node.isTextual()) {
                return List.of(node.textValue());
            }
            List<String> out = new ArrayList<>();
            for (JsonNode element : elements(key, node)) {
                if (!element.isTextual()) {
                    throw fail(key + " holds " + element + ", not a string");
                }
                out.add(element.textValue());
            }
            return out;
        }

        private Iterable<JsonNode> elements(String key, JsonNode node) {
            if (!node.isArray()) {
                throw fail(key + " is " + node + ", not a list");
            }
            return node;
        }

        private Map<String, Integer> integerMap(String key) {
            Map<String, Integer> out = new LinkedHashMap<>();
            object(key).properties().forEach(entry -> {
                JsonNode value = entry.getValue();
                if (!value.isIntegralNumber() || !value.canConvertToInt()) {
                    throw fail(key + " gives '" + entry.getKey() + "' " + value + ", not an integer");
                }
                out.put(entry.getKey(), value.intValue());
            });
            return out;
        }

        private Map<String, Double> numberMap(String key) {
            Map<String, Double> out = new LinkedHashMap<>();
            object(key).properties().forEach(entry -> {
                if (!entry.getValue().isNumber()) {
                    throw fail(key + " gives '" + entry.getKey() + "' " + entry.getValue() + ", not a number");
                }
                out.put(entry.getKey(), entry.getValue().doubleValue());
            });
            return out;
        }

        private JsonNode object(String key) {
            JsonNode node = root.get(key);
            if (node == null || node.isNull()) {
                return MAPPER.createObjectNode();
            }
            if (!node.isObject()) {
                throw fail(key + " is " + node + ", not an object");
            }
            return node;
        }

        private int integer(String key, int fallback) {
            JsonNode node = root.get(key);
            if (node == null || node.isNull()) {
                return fallback;
            }
            if (!node.isIntegralNumber() || !node.canConvertToInt()) {
                throw fail(key + " is " + node + ", not an integer");
            }
            return node.intValue();
        }

        private double number(String key, double fallback) {
            JsonNode node = root.get(key);
            if (node == null || node.isNull()) {
                return fallback;
            }
            if (!node.isNumber()) {
                throw fail(key + " is " + node + ", not a number");
            }
            return node.doubleValue();
        }

        private boolean bool(String key, boolean fallback) {
            JsonNode node = root.get(key);
            if (node == null || node.isNull()) {
                return fallback;
            }
            if (!node.isBoolean()) {
                throw fail(key + " is " + node + ", not true or false");
            }
            return node.booleanValue();
        }

        private String text(String key, String fallback) {
            JsonNode node = root.get(key);
            if (node == null || node.isNull()) {
                return fallback;
            }
            if (!node.isTextual()) {
                throw fail(key + " is " + node + ", not a string");
            }
            return node.textValue();
        }

        private static String quoted(String value) {
            return value == null ? "missing" : "\"" + value + "\"";
        }

        private PeftFormatException fail(String problem) {
            return new PeftFormatException(file, problem);
        }
    }

    /** Writes {@code config} to {@code file} atomically (a temporary file beside it, renamed over it). */
    static void write(Path file, LoraConfig config) throws IOException {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("peft_type", "LORA");
        root.put("task_type", "CAUSAL_LM");
        root.put("base_model_name_or_path", config.baseModelNameOrPath());
        root.put("r", config.r());
        putNumber(root, "lora_alpha", config.alpha());
        root.put("lora_dropout", config.dropout());
        switch (config.targetModules()) {
            case TargetModules.Names names -> names.names().forEach(root.putArray("target_modules")::add);
            case TargetModules.Regex regex -> root.put("target_modules", regex.pattern());
            case TargetModules.AllLinear allLinear -> root.put("target_modules", TargetModules.AllLinear.KEYWORD);
        }
        root.put("use_rslora", config.useRslora());
        switch (config.init()) {
            case KAIMING -> root.put("init_lora_weights", true);
            case GAUSSIAN -> root.put("init_lora_weights", "gaussian");
            case RANDOM -> root.put("init_lora_weights", false);
        }
        root.put("fan_in_fan_out", false);
        root.put("bias", "none");
        root.put("use_dora", false);
        ObjectNode ranks = root.putObject("rank_pattern");
        config.rankPattern().forEach(ranks::put);
        ObjectNode alphas = root.putObject("alpha_pattern");
        config.alphaPattern().forEach((key, alpha) -> putNumber(alphas, key, alpha));
        if (config.layersToTransform().isEmpty()) {
            root.putNull("layers_to_transform");
            root.putNull("layers_pattern");
        } else {
            ArrayNode layers = root.putArray("layers_to_transform");
            config.layersToTransform().forEach(layers::add);
            if (config.layersPattern().isEmpty()) {
                root.putNull("layers_pattern");
            } else {
                config.layersPattern().forEach(root.putArray("layers_pattern")::add);
            }
        }
        root.putNull("modules_to_save");
        root.put("inference_mode", true);
        if (config.useMixer()) {
            root.put("lora_use_mixer", true);
            root.put(MIXER_INIT_KEY, config.mixer().name().toLowerCase(Locale.ROOT));
        }
        AtomicFile.write(file, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }

    /**
     * An integral value as a JSON integer (PEFT's {@code lora_alpha} is an int), anything else as a
     * double: -0.0 too, which an integer would turn into 0.
     */
    private static void putNumber(ObjectNode node, String key, double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1L << 53 && Double.compare(value, -0.0) != 0) {
            node.put(key, (long) value);
        } else {
            node.put(key, value);
        }
    }
}
