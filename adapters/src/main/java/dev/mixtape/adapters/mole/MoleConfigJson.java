package dev.mixtape.adapters.mole;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixtape.engine.io.StrictJson;
import dev.mixtape.engine.io.AtomicFile;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * {@code mole_config.json} to a {@link MoleConfig} and its expert list, and back; the format is
 * described on {@link MoleFiles}. Unknown keys are ignored; a missing key or an unknown value is
 * refused, naming the key and the values allowed.
 */
final class MoleConfigJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int FORMAT = 1;

    private MoleConfigJson() {
    }

    /**
     * One expert as the file records it.
     *
     * @param name          the adapter's name in the model
     * @param path          its PEFT folder, relative to the MoLE folder
     * @param configSha256  SHA-256 of its {@code adapter_config.json}, lower-case hex
     * @param weightsSha256 SHA-256 of its {@code adapter_model.safetensors}, lower-case hex
     */
    record Expert(String name, String path, String configSha256, String weightsSha256) {
    }

    /** The whole file: the settings and the experts in gate order. */
    record Contents(MoleConfig config, List<Expert> experts) {
    }

    static void write(Path file, Contents contents) throws IOException {
        MoleConfig config = contents.config();
        ObjectNode root = MAPPER.createObjectNode();
        root.put("mole_format", FORMAT);
        root.put("granularity", config.granularity().jsonName());
        root.put("gate_input", config.gateInput().jsonName());
        root.put("pooling", config.pooling().jsonName());
        root.put("temperature", config.temperature());
        root.put("learnable_temperature", config.learnableTemperature());
        root.put("balance_weight", config.balanceWeight());
        ArrayNode experts = root.putArray("experts");
        for (Expert expert : contents.experts()) {
            ObjectNode node = experts.addObject();
            node.put("name", expert.name());
            node.put("path", expert.path());
            node.put("adapter_config_sha256", expert.configSha256());
            node.put("adapter_model_sha256", expert.weightsSha256());
        }
        AtomicFile.write(file, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }

    static Contents read(Path file) throws IOException {
        JsonNode root;
        try {
            root = StrictJson.read(file);
        } catch (JsonProcessingException e) {
            throw new MoleFormatException(file, "not valid JSON: " + StrictJson.problem(e), e);
        }
        if (root == null || !root.isObject()) {
            throw new MoleFormatException(file, "not a JSON object");
        }
        return new Reader(file, root).contents();
    }

    /** The checks of one file, each error naming the file and the key. */
    private record Reader(Path file, JsonNode root) {
        Contents contents() {
            int format = field(root, "mole_format", JsonNode::isInt, "an integer").intValue();
            if (format != FORMAT) {
                throw fail("mole_format is " + format + "; this Mixtape reads format " + FORMAT);
            }
            MoleConfig config;
            try {
                config = new MoleConfig(
                        choice("granularity", Granularity.values(), Granularity::jsonName),
                        choice("gate_input", GateInput.values(), GateInput::jsonName),
                        choice("pooling", Pooling.values(), Pooling::jsonName),
                        field(root, "temperature", JsonNode::isNumber, "a number").doubleValue(),
                        field(root, "learnable_temperature", JsonNode::isBoolean, "true or false").booleanValue(),
                        field(root, "balance_weight", JsonNode::isNumber, "a number").doubleValue());
            } catch (IllegalArgumentException e) {
                throw new MoleFormatException(file, e.getMessage(), e);
            }
            return new Contents(config, experts());
        }

        private List<Expert> experts() {
            JsonNode list = field(root, "experts", JsonNode::isArray, "a list");
            if (list.isEmpty()) {
                throw fail("experts is an empty list; a MoLE needs at least one");
            }
            List<Expert> experts = new ArrayList<>();
            Set<String> names = new HashSet<>();
            for (int i = 0; i < list.size(); i++) {
                JsonNode node = list.get(i);
                String where = "experts[" + i + "].";
                if (!node.isObject()) {
                    throw fail("experts[" + i + "] is " + node + ", not an object");
                }
                Expert expert = new Expert(text(node, where, "name"), text(node, where, "path"),
                        text(node, where, "adapter_config_sha256"), text(node, where, "adapter_model_sha256"));
                if (!names.add(expert.name())) {
                    throw fail("experts names '" + expert.name() + "' twice");
                }
                experts.add(expert);
            }
            return experts;
        }

        private <E extends Enum<E>> E choice(String key, E[] values, Function<E, String> jsonName) {
            String value = text(root, "", key);
            for (E candidate : values) {
                if (jsonName.apply(candidate).equals(value)) {
                    return candidate;
                }
            }
            throw fail(key + " is \"" + value + "\"; expected one of " + Arrays.stream(values).map(jsonName).toList());
        }

        private String text(JsonNode node, String where, String key) {
            return field(node, where, key, JsonNode::isTextual, "a string").textValue();
        }

        private JsonNode field(JsonNode node, String key, Predicate<JsonNode> test, String what) {
            return field(node, "", key, test, what);
        }

        /** {@code node}'s value at {@code key}, which must pass {@code test}; {@code where} prefixes the key in messages. */
        private JsonNode field(JsonNode node, String where, String key, Predicate<JsonNode> test, String what) {
            JsonNode value = node.get(key);
            if (value == null || value.isNull()) {
                throw fail(where + key + " is missing");
            }
            if (!test.test(value)) {
                throw fail(where + key + " is " + value + ", not " + what);
            }
            return value;
        }

        private MoleFormatException fail(String problem) {
            return new MoleFormatException(file, problem);
        }
    }
}
