package dev.mixtape.adapters;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** adapter_config.json: PEFT's keys written, read back, unknown keys ignored, unsupported meanings refused. */
class PeftConfigJsonTest {
    @TempDir
    Path dir;

    private Path file(String json) throws IOException {
        return Files.writeString(dir.resolve("adapter_config.json"), json);
    }

    private LoraConfig read(String members) throws IOException {
        return PeftConfigJson.read(file("{\"peft_type\": \"LORA\", \"target_modules\": [\"q_proj\"]" + members + "}"));
    }

    private String refusal(String members) {
        return assertThrows(PeftFormatException.class, () -> read(members)).getMessage();
    }

    @Test
    void aConfigSurvivesAWriteAndARead() throws IOException {
        Map<String, Integer> ranks = new LinkedHashMap<>();
        ranks.put("layers\\.0\\..*", 4);
        ranks.put("q_proj", 2);
        LoraConfig config = LoraConfig.builder(TargetModules.names("q_proj", "v_proj")).r(16).alpha(32).dropout(0.05)
                .useRslora(true).init(LoraInit.GAUSSIAN).mixer(MixerInit.ORTHOGONAL).layersToTransform(List.of(0, 2))
                .layersPattern(List.of("layers")).rankPattern(ranks).alphaPattern(Map.of("v_proj", 2.5))
                .baseModelNameOrPath("stories260K").build();
        Path path = dir.resolve("adapter_config.json");
        PeftConfigJson.write(path, config);
        assertEquals(config, PeftConfigJson.read(path));
        assertEquals(List.of("adapter_config.json"), Files.list(dir).map(p -> p.getFileName().toString()).toList());

        LoraConfig regex = LoraConfig.builder(TargetModules.regex(".*\\.(q|v)_proj")).alpha(1.5).init(LoraInit.RANDOM).build();
        PeftConfigJson.write(path, regex);
        assertEquals(regex, PeftConfigJson.read(path));
        LoraConfig allLinear = LoraConfig.builder(TargetModules.allLinear()).build();
        PeftConfigJson.write(path, allLinear);
        assertEquals(allLinear, PeftConfigJson.read(path));
    }

    @Test
    void theFileHasPeftsKeysAndValues() throws IOException {
        Path path = dir.resolve("adapter_config.json");
        PeftConfigJson.write(path, LoraConfig.builder(TargetModules.names("q_proj", "v_proj")).r(8).alpha(16)
                .mixer(MixerInit.KAIMING).build());
        JsonNode json = new ObjectMapper().readTree(path.toFile());
        assertEquals("LORA", json.get("peft_type").textValue());
        assertEquals("CAUSAL_LM", json.get("task_type").textValue());
        assertEquals(8, json.get("r").intValue());
        assertTrue(json.get("lora_alpha").isIntegralNumber());
        assertEquals(16, json.get("lora_alpha").intValue());
        assertEquals(0.0, json.get("lora_dropout").doubleValue());
        assertEquals("[\"q_proj\",\"v_proj\"]", json.get("target_modules").toString());
        assertTrue(json.get("init_lora_weights").booleanValue());
        assertEquals(false, json.get("use_rslora").booleanValue());
        assertEquals(false, json.get("fan_in_fan_out").booleanValue());
        assertEquals(false, json.get("use_dora").booleanValue());
        assertEquals("none", json.get("bias").textValue());
        assertTrue(json.get("base_model_name_or_path").isNull());
        assertTrue(json.get("rank_pattern").isObject() && json.get("rank_pattern").isEmpty());
        assertTrue(json.get("layers_to_transform").isNull());
        assertTrue(json.get("lora_use_mixer").booleanValue());
    }

    @Test
    void peftDefaultsAndFormsAreUnderstoodAndUnknownKeysIgnored() throws IOException {
        LoraConfig config = read(", \"some_future_key\": {\"x\": 1}, \"revision\": null, \"inference_mode\": true,"
                + " \"layers_to_transform\": 3, \"layers_pattern\": \"layers\", \"init_lora_weights\": \"gaussian\","
                + " \"use_dora\": false, \"bias\": \"none\", \"modules_to_save\": null, \"fan_in_fan_out\": false,"
                + " \"loftq_config\": {}, \"megatron_config\": null");
        assertEquals(8, config.r());
        assertEquals(8.0, config.alpha());
        assertEquals(List.of(3), config.layersToTransform());
        assertEquals(List.of("layers"), config.layersPattern());
        assertEquals(LoraInit.GAUSSIAN, config.init());
        assertEquals(null, config.mixer());
        assertEquals(new TargetModules.AllLinear(),
                PeftConfigJson.read(file("{\"peft_type\": \"LORA\", \"target_modules\": \"all-linear\"}")).targetModules());
        assertEquals(MixerInit.KAIMING, read(", \"lora_use_mixer\": true").mixer());
        assertEquals(List.of(), read(", \"layers_pattern\": \"layers\"").layersPattern(),
                "without layers_to_transform, layers_pattern means nothing (PEFT ignores it too)");
    }

    @Test
    void meaningsMixtapeCannotHonourAreRefusedByName() {
        assertTrue(refusal(", \"use_dora\": true").contains("use_dora is true, which Mixtape cannot honour: DoRA"));
        assertTrue(refusal(", \"bias\": \"lora_only\"").contains("bias is \"lora_only\""));
        assertTrue(refusal(", \"fan_in_fan_out\": true").contains("fan_in_fan_out is true"));
        assertTrue(refusal(", \"modules_to_save\": [\"lm_head\"]").contains("modules_to_save is [\"lm_head\"]"));
        assertTrue(refusal(", \"init_lora_weights\": \"pissa\"").contains("init_lora_weights \"pissa\" is not implemented"));
        assertTrue(refusal(", \"task_type\": \"SEQ_CLS\"").contains("task_type is \"SEQ_CLS\""));
        assertTrue(refusal(", \"r\": 0").contains("rank r must be at least 1"));
        assertTrue(refusal(", \"r\": 2.5").contains("r is 2.5, not an integer"));
        String ia3 = assertThrows(PeftFormatException.class,
                () -> PeftConfigJson.read(file("{\"peft_type\": \"IA3\", \"target_modules\": [\"q_proj\"]}"))).getMessage();
        assertTrue(ia3.startsWith(dir.resolve("adapter_config.json") + ": peft_type is \"IA3\""), ia3);
        String missing = assertThrows(PeftFormatException.class,
                () -> PeftConfigJson.read(file("{\"peft_type\": \"LORA\"}"))).getMessage();
        assertTrue(missing.contains("target_modules is missing"), missing);
        String broken = assertThrows(PeftFormatException.class, () -> PeftConfigJson.read(file("{\"peft_type\": "))).getMessage();
        assertTrue(broken.contains("not valid JSON"), broken);
    }
}
