package dev.mixtape.models.adapters;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.LoraConfig;
import dev.mixtape.adapters.LoraInit;
import dev.mixtape.adapters.MixerInit;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.adapters.PeftFormatException;
import dev.mixtape.adapters.TargetModules;
import dev.mixtape.engine.Backend;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.io.SafetensorsFile;
import dev.mixtape.engine.io.SafetensorsWriter;
import dev.mixtape.engine.vector.VectorBackend;
import dev.mixtape.models.llama.Llama;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PEFT adapter folders on stories260K: Mixtape's own round trip, and a folder laid out as HF PEFT writes one. */
class LlamaPeftFilesTest {
    private static final int LAYERS = 5;
    private static final int DIM = 64;
    private static final int KV_DIM = 32;
    private static final int R = 4;
    private static final double SCALING = 8.0 / R;

    /** What {@code LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]).save_pretrained} writes (PEFT 0.13). */
    private static final String PEFT_CONFIG = """
            {
              "alpha_pattern": {},
              "auto_mapping": null,
              "base_model_name_or_path": "stories260K",
              "bias": "none",
              "fan_in_fan_out": false,
              "inference_mode": true,
              "init_lora_weights": true,
              "layer_replication": null,
              "layers_pattern": null,
              "layers_to_transform": null,
              "loftq_config": {},
              "lora_alpha": 8,
              "lora_dropout": 0.05,
              "megatron_config": null,
              "megatron_core": "megatron.core",
              "modules_to_save": null,
              "peft_type": "LORA",
              "r": 4,
              "rank_pattern": {},
              "revision": null,
              "target_modules": [
                "v_proj",
                "q_proj"
              ],
              "task_type": "CAUSAL_LM",
              "use_dora": false,
              "use_rslora": false
            }
            """;

    @TempDir
    Path dir;

    private final Backend backend = new VectorBackend(2);

    @Test
    void anAdapterWrittenAndReadIntoAFreshModelGivesIdenticalLogits() throws IOException {
        Llama llama = Stories.load(backend);
        LoraConfig config = LoraConfig.builder(TargetModules.allLinear()).r(4).alpha(8).useRslora(true).dropout(0.05)
                .init(LoraInit.RANDOM).mixer(MixerInit.ORTHOGONAL)
                .rankPattern(Map.of("down_proj", 2)).alphaPattern(Map.of("model\\.layers\\.0\\..*", 3.0))
                .baseModelNameOrPath("stories260K").build();
        Adapter adapter = Adapters.inject(llama, config, "default", new Rng(1));
        int[] ids = Stories.ids();
        float[] expected = Stories.logits(llama, ids);
        PeftFiles.write(dir, adapter);

        try (SafetensorsFile file = SafetensorsFile.open(dir.resolve(PeftFiles.WEIGHTS_FILE))) {
            assertEquals(LAYERS * 7 * 3, file.names().size());
            assertArrayEquals(new int[]{4, DIM}, file.info("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").shape());
            assertArrayEquals(new int[]{KV_DIM, 4}, file.info("base_model.model.model.layers.0.self_attn.k_proj.lora_B.weight").shape());
            assertArrayEquals(new int[]{4, 4}, file.info("base_model.model.model.layers.0.self_attn.k_proj.lora_AB.weight").shape());
            assertArrayEquals(new int[]{2, 172}, file.info("base_model.model.model.layers.4.mlp.down_proj.lora_A.weight").shape());
        }

        Llama fresh = Stories.load(backend);
        Adapter loaded = PeftFiles.load(dir, fresh, "default");
        assertEquals(config, loaded.config());
        assertArrayEquals(expected, Stories.logits(fresh, ids));
    }

    /**
     * A folder as HF PEFT writes it for a LlamaForCausalLM (its config text, its tensor names, BF16
     * tensors as a bf16 fine-tune saves them) gives what {@code W = W₀ + s·B·A}, computed by hand and
     * put into the base weights, gives. The two sides round differently in f32; see
     * {@link LlamaMergeTest} for the 16-ulp allowance.
     */
    @Test
    void aFolderWrittenAsPeftDoesLoadsAsTheHandMergedWeights() throws IOException {
        Map<String, Tensor> tensors = peftTensors();
        writeFolder(PEFT_CONFIG, tensors);

        Llama adapted = Stories.load(backend);
        Adapter adapter = PeftFiles.load(dir, adapted, "hub");
        assertEquals(10, adapter.layerNames().size());

        Llama byHand = Stories.load(backend);
        for (int layer = 0; layer < LAYERS; layer++) {
            for (String projection : List.of("q_proj", "v_proj")) {
                String module = "model.layers." + layer + ".self_attn." + projection;
                float[] a = asStored(tensors.get(peftName(module, "lora_A")));
                float[] b = asStored(tensors.get(peftName(module, "lora_B")));
                Tensor weight = byHand.parameter(module + ".weight");
                weight.assign(Tensor.of(backend, plusScaledProduct(weight.toFloatArray(), b, a, weight.dim(0), DIM), weight.shape()));
            }
        }

        int[] ids = Stories.ids();
        float[] expected = Stories.logits(byHand, ids);
        float[] actual = Stories.logits(adapted, ids);
        assertTrue(Stories.maxDifference(Stories.logits(Stories.load(backend), ids), expected) > 1, "the adapter matters");
        float largest = 0;
        for (float value : expected) {
            largest = Math.max(largest, Math.abs(value));
        }
        double difference = Stories.maxDifference(expected, actual);
        assertTrue(difference <= 16 * Math.ulp(largest), "loaded vs hand-merged logits differ by " + difference);
    }

    @Test
    void settingsAndFilesItCannotHonourAreRefusedWithTheirNames() throws IOException {
        Map<String, Tensor> tensors = peftTensors();
        writeFolder(PEFT_CONFIG.replace("\"use_dora\": false", "\"use_dora\": true"), tensors);
        assertTrue(refusal().contains("adapter_config.json: use_dora is true, which Mixtape cannot honour: DoRA"), refusal());

        writeFolder(PEFT_CONFIG.replace("\"q_proj\"", "\"qproj\""), tensors);
        assertTrue(refusal().contains("adapter_config.json: target_modules entry [qproj] match no module; its Linear layers "
                + "are named ...q_proj, ...k_proj, ...v_proj, ...o_proj, ...gate_proj, ...up_proj, ...down_proj"), refusal());

        String shrunk = peftName("model.layers.3.self_attn.q_proj", "lora_A");
        tensors.put(shrunk, new Rng(5).normal(backend, 0, 0.1, R, 32));
        writeFolder(PEFT_CONFIG, tensors);
        assertEquals(dir.resolve(PeftFiles.WEIGHTS_FILE) + ": tensor '" + shrunk + "' has shape [4, 32], but layer "
                + "'model.layers.3.self_attn.q_proj' (Linear 64 -> 64) with r = 4 needs [4, 64]", refusal());
    }

    private String refusal() {
        Llama llama;
        try {
            llama = Stories.load(backend);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        String message = assertThrows(PeftFormatException.class, () -> PeftFiles.load(dir, llama, "hub")).getMessage();
        assertTrue(Adapters.names(llama).isEmpty(), "a refused folder leaves the model unchanged");
        return message;
    }

    /** Random A [r, in] and small B [out, r] for every layer's q_proj and v_proj, under PEFT's names. */
    private Map<String, Tensor> peftTensors() {
        Rng rng = new Rng(3);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (int layer = 0; layer < LAYERS; layer++) {
            for (String projection : List.of("q_proj", "v_proj")) {
                String module = "model.layers." + layer + ".self_attn." + projection;
                int out = projection.equals("q_proj") ? DIM : KV_DIM;
                tensors.put(peftName(module, "lora_A"), rng.kaimingUniform(backend, Math.sqrt(5), R, DIM));
                tensors.put(peftName(module, "lora_B"), rng.normal(backend, 0, 0.05, out, R));
            }
        }
        return tensors;
    }

    private void writeFolder(String config, Map<String, Tensor> tensors) throws IOException {
        Files.writeString(dir.resolve("adapter_config.json"), config);
        SafetensorsWriter.write(dir.resolve("adapter_model.safetensors"), tensors, Map.of("format", "pt"), DType.BF16);
    }

    private static String peftName(String module, String factor) {
        return "base_model.model." + module + "." + factor + ".weight";
    }

    /** The values as the BF16 file holds them. */
    private static float[] asStored(Tensor tensor) {
        float[] values = tensor.toFloatArray();
        for (int i = 0; i < values.length; i++) {
            values[i] = DType.bf16ToFloat(DType.floatToBf16(values[i]));
        }
        return values;
    }

    /** {@code W₀ + s·B·A} in double precision, rounded once to f32: {@code w0 [out, in]}, {@code b [out, r]}, {@code a [r, in]}. */
    private static float[] plusScaledProduct(float[] w0, float[] b, float[] a, int out, int in) {
        float[] merged = new float[w0.length];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                double sum = 0;
                for (int k = 0; k < R; k++) {
                    sum += (double) b[o * R + k] * a[k * in + i];
                }
                merged[o * in + i] = (float) (w0[o * in + i] + SCALING * sum);
            }
        }
        return merged;
    }
}
