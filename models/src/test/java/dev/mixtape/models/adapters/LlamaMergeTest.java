package dev.mixtape.models.adapters;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.LoraConfig;
import dev.mixtape.adapters.LoraLinear;
import dev.mixtape.adapters.MixerInit;
import dev.mixtape.adapters.TargetModules;
import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.vector.VectorBackend;
import dev.mixtape.models.llama.Llama;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Merging an adapter into stories260K's weights gives the adapted logits; unmerging gives back W₀ exactly.
 *
 * <p>The two computations round differently in f32 ({@code x·(W₀+ΔW)ᵀ} against
 * {@code x·W₀ᵀ + s·(x·Aᵀ)·Bᵀ}, through five layers), and stories260K's logits reach about 22, where
 * one f32 ulp is 1.9·10⁻⁶. Measured over twelve adapters (LoRA and MoSLoRA, three seeds, B of
 * standard deviation 0.01 and 0.02) the largest difference was 7·10⁻⁶ to 1.2·10⁻⁵, four to six ulps;
 * it does not shrink with the adapter's size, so it is rounding, not a merge error, which would show
 * as differences of 10⁻² or more. The check allows 16 ulps of the largest logit (3·10⁻⁵ here).
 */
class LlamaMergeTest {
    private final Backend backend = new VectorBackend(2);

    @Test
    void loraMergesAndUnmerges() throws IOException {
        check(LoraConfig.builder(TargetModules.allLinear()).r(4).alpha(8).build());
    }

    @Test
    void mosloraMergesAndUnmerges() throws IOException {
        check(LoraConfig.builder(TargetModules.names("q_proj", "k_proj", "v_proj", "up_proj", "down_proj")).r(4).alpha(8)
                .mixer(MixerInit.ORTHOGONAL).build());
    }

    private void check(LoraConfig config) throws IOException {
        Llama llama = Stories.load(backend);
        int[] ids = Stories.ids();
        float[] base = Stories.logits(llama, ids);
        Adapter adapter = Adapters.inject(llama, config, "a", new Rng(1));
        standInForTraining(adapter);
        float[] adapted = Stories.logits(llama, ids);
        assertTrue(Stories.maxDifference(base, adapted) > 1, "the adapter changes the logits");

        Map<String, Tensor> originals = new LinkedHashMap<>();
        for (String layer : adapter.layerNames()) {
            originals.put(layer, ((LoraLinear) llama.namedModules().get(layer)).base().weight());
        }
        Map<String, float[]> originalValues = new LinkedHashMap<>();
        originals.forEach((layer, weight) -> originalValues.put(layer, weight.toFloatArray()));

        adapter.merge();
        float[] merged = Stories.logits(llama, ids);
        double difference = Stories.maxDifference(adapted, merged);
        double tolerance = 16 * Math.ulp(largestMagnitude(adapted));
        assertTrue(difference <= tolerance, "merged vs adapted logits differ by " + difference + " > " + tolerance);

        adapter.unmerge();
        originals.forEach((layer, weight) -> {
            Tensor restored = ((LoraLinear) llama.namedModules().get(layer)).base().weight();
            assertSame(weight, restored, layer);
            assertArrayEquals(originalValues.get(layer), restored.toFloatArray(), layer);
        });
        assertArrayEquals(adapted, Stories.logits(llama, ids));
        Adapters.deactivate(llama);
        assertArrayEquals(base, Stories.logits(llama, ids));
    }

    /** B as a short fine-tune leaves it (small, non-zero), in place of B = 0, which would make merging trivial. */
    private void standInForTraining(Adapter adapter) {
        Rng rng = new Rng(2);
        adapter.namedParameters().forEach((name, tensor) -> {
            if (name.contains(".lora_B.")) {
                tensor.assign(rng.normal(backend, 0, 0.02, tensor.shape()));
            }
        });
    }

    private static float largestMagnitude(float[] values) {
        float largest = 0;
        for (float value : values) {
            largest = Math.max(largest, Math.abs(value));
        }
        return largest;
    }
}
