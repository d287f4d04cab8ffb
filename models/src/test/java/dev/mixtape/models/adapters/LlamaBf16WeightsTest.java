package dev.mixtape.models.adapters;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.LoraConfig;
import dev.mixtape.adapters.TargetModules;
import dev.mixtape.engine.Backend;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.SharedFiles;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.vector.VectorBackend;
import dev.mixtape.models.generate.Sampler;
import dev.mixtape.models.llama.Llama;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * stories260K with its weight matrices kept in bf16 computes what the f32 model computes on the same
 * weights rounded to bf16: decoding, the training loss, and an adapter's gradients, within f32
 * rounding of different summation orders (its logits reach about 22; 1e-4 is some 50 ulps there,
 * while the rounding to bf16 itself moves them by 10⁻² and more).
 */
class LlamaBf16WeightsTest {
    private final Backend backend = new VectorBackend(2);

    /** The f32 model whose weight matrices hold their bf16 roundings. */
    private Llama roundedF32() throws IOException {
        Llama llama = Stories.load(backend);
        for (Map.Entry<String, Tensor> entry : llama.namedParameters().entrySet()) {
            if (entry.getValue().rank() == 2) {
                llama.setParameter(entry.getKey(), entry.getValue().to(DType.BF16).to(DType.F32));
            }
        }
        return llama;
    }

    private Llama bf16() throws IOException {
        Llama llama = Stories.load(backend);
        llama.keepWeightsIn(DType.BF16);
        return llama;
    }

    @Test
    void halvesTheMatricesAndKeepsNormsInF32() throws IOException {
        Llama f32 = Stories.load(backend);
        Llama bf16 = bf16();
        long f32Bytes = 0;
        long bf16Bytes = 0;
        for (Map.Entry<String, Tensor> entry : bf16.namedParameters().entrySet()) {
            Tensor weight = entry.getValue();
            assertEquals(weight.rank() == 2 ? DType.BF16 : DType.F32, weight.dtype(), entry.getKey());
            if (weight.rank() == 2) {
                bf16Bytes += (long) weight.numel() * weight.dtype().bytes();
                f32Bytes += (long) f32.parameter(entry.getKey()).numel() * DType.F32.bytes();
            }
        }
        assertEquals(f32Bytes, 2 * bf16Bytes);
    }

    @Test
    void loadingStraightIntoBf16EqualsConvertingAfterwards() throws IOException {
        Llama converted = bf16();
        Llama loaded = Llama.load(SharedFiles.require("models/stories260K/hf"), backend, DType.BF16);
        for (Map.Entry<String, Tensor> entry : converted.namedParameters().entrySet()) {
            Tensor direct = loaded.parameter(entry.getKey());
            assertEquals(entry.getValue().dtype(), direct.dtype(), entry.getKey());
            assertEquals(entry.getValue().requiresGrad(), direct.requiresGrad(), entry.getKey());
            assertArrayEquals(entry.getValue().toFloatArray(), direct.toFloatArray(), entry.getKey());
        }
    }

    @Test
    void decodingMatchesTheRoundedF32Model() throws IOException {
        Llama expected = roundedF32();
        Llama actual = bf16();
        int[] ids = Stories.ids();
        Llama.Session expectedSession = expected.newSession(ids.length + 20);
        Llama.Session actualSession = actual.newSession(ids.length + 20);
        float[] expectedLogits = expectedSession.forward(ids);
        float[] actualLogits = actualSession.forward(ids);
        assertTrue(Stories.maxDifference(expectedLogits, actualLogits) < 1e-4, "prompt logits");
        for (int step = 0; step < 20; step++) {
            int next = Sampler.argmax(expectedLogits);
            assertEquals(next, Sampler.argmax(actualLogits), "greedy token at step " + step);
            expectedLogits = expectedSession.forward(next);
            actualLogits = actualSession.forward(next);
            assertTrue(Stories.maxDifference(expectedLogits, actualLogits) < 1e-4, "logits at step " + step);
        }
    }

    @Test
    void trainingLossAndAdapterGradientsMatchTheRoundedF32Model() throws IOException {
        Llama expected = roundedF32();
        Llama actual = bf16();
        int[] ids = Stories.ids();
        assertEquals(Stories.loss(expected, ids), Stories.loss(actual, ids), 1e-5);
        LoraConfig config = LoraConfig.builder(TargetModules.allLinear()).r(4).alpha(8).build();
        Adapter expectedAdapter = Adapters.inject(expected, config, "a", new Rng(3));
        Adapter actualAdapter = Adapters.inject(actual, config, "a", new Rng(3));
        List<Tensor> expectedParameters = expectedAdapter.parameters();
        List<Tensor> actualParameters = actualAdapter.parameters();
        for (int i = 0; i < expectedParameters.size(); i++) {
            Tensor values = Tensor.of(backend, randomValues(i, expectedParameters.get(i).numel()), expectedParameters.get(i).shape());
            expectedParameters.get(i).assign(values);
            actualParameters.get(i).assign(values);
        }
        expected.loss(ids, Stories.nextTokens(ids), 1, ids.length, Stories.IGNORE).backward();
        actual.loss(ids, Stories.nextTokens(ids), 1, ids.length, Stories.IGNORE).backward();
        for (int i = 0; i < expectedParameters.size(); i++) {
            float[] want = expectedParameters.get(i).grad().toFloatArray();
            float[] got = actualParameters.get(i).grad().toFloatArray();
            double scale = 0;
            for (float value : want) {
                scale = Math.max(scale, Math.abs(value));
            }
            assertTrue(scale > 0, "adapter parameter " + i + " gets a gradient");
            assertTrue(Stories.maxDifference(want, got) <= 1e-4 * scale, "gradient of adapter parameter " + i);
        }
    }

    private static float[] randomValues(int seed, int count) {
        java.util.Random random = new java.util.Random(seed);
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (0.05 * random.nextGaussian());
        }
        return values;
    }

    @Test
    void refusesAModelWithAnAdapterAttached() throws IOException {
        Llama llama = Stories.load(backend);
        Adapters.inject(llama, LoraConfig.builder(TargetModules.allLinear()).r(2).alpha(4).build(), "a", new Rng(1));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> llama.keepWeightsIn(DType.BF16));
        assertTrue(e.getMessage().contains("before attaching adapters"), e.getMessage());
    }

    @Test
    void halfPrecisionIsNotAWeightType() {
        Path model = SharedFiles.require("models/stories260K/hf");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Llama.load(model, backend, DType.F16));
        assertEquals("weight matrices are kept in F32, BF16, Q8_0 or Q4_0, not F16", e.getMessage());
    }
}
