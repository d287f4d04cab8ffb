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
import dev.mixtape.models.llama.Checkpoint;
import dev.mixtape.models.llama.Checkpoints;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.llama.LlamaConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Llama whose weight matrices are kept in block formats computes what the f32 model computes on
 * the dequantised weights: the logits of a prompt (the GEMM, B packed from the blocks), 20 greedy
 * decoding steps (the GEMV kernels), the training loss, and the gradients of a LoRA adapter trained on
 * top (the gradient to each layer's input is {@code dY·W} read from the same blocks). Checked on
 * stories260K quantised to Q8_0 and Q4_0 while loading, and on a model of K-quant shape (rows of 256
 * and 512) holding random Q4_K and Q6_K blocks, mixed as a Q4_K_M file mixes them. The tolerance is
 * f32 rounding of different summation orders, 1e-4 of the largest value compared (gradients included,
 * as a finite-difference check would state it): a block, row or column read from the wrong place, or
 * a gradient that skips the base weight, moves values by far more (quantising stories260K to Q4_0
 * itself moves its logits by about 1).
 */
class LlamaQuantizedWeightsTest {
    private static final double TOLERANCE = 1e-4;
    private final Backend backend = new VectorBackend(2);

    /** The f32 model holding exactly the values {@code quantized} decodes its weights to. */
    private Llama dequantisedTwin(Llama quantized) {
        Llama twin = Llama.random(quantized.config(), backend, 0);
        for (Map.Entry<String, Tensor> entry : quantized.namedParameters().entrySet()) {
            twin.setParameter(entry.getKey(), Tensor.of(backend, entry.getValue().toFloatArray(), entry.getValue().shape()));
        }
        return twin;
    }

    private static Llama loadStories(Backend backend, DType weights) throws IOException {
        return Llama.load(SharedFiles.require("models/stories260K/hf"), backend, weights);
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0"})
    void storiesQuantisedWhileLoadingDecodesAsTheDequantisedModel(DType format) throws IOException {
        Llama quantized = loadStories(backend, format);
        for (Map.Entry<String, Tensor> entry : quantized.namedParameters().entrySet()) {
            Tensor weight = entry.getValue();
            boolean wholeBlocks = weight.rank() == 2 && weight.dim(1) % 32 == 0;
            assertEquals(wholeBlocks ? format : DType.F32, weight.dtype(), entry.getKey());
        }
        Llama expected = dequantisedTwin(quantized);
        int[] ids = Stories.ids();
        assertClose(Stories.logits(expected, ids), Stories.logits(quantized, ids), "prompt logits (GEMM)");
        assertEquals(Stories.loss(expected, ids), Stories.loss(quantized, ids), 1e-5, "training loss");
        assertDecodingMatches(expected, quantized, ids, 20);
        float[] f32Logits = Stories.logits(Stories.load(backend), ids);
        assertTrue(Stories.maxDifference(f32Logits, Stories.logits(quantized, ids)) > 100 * TOLERANCE,
                "quantising moves the logits, so the comparison above is with the dequantised weights, not the originals");
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0"})
    void loraGradientsOnAQuantisedBaseEqualThoseOnTheDequantisedBase(DType format) throws IOException {
        Llama quantized = loadStories(backend, format);
        assertAdapterGradientsMatch(dequantisedTwin(quantized), quantized, Stories.ids());
    }

    /**
     * Merging an adapter into a block-format or BF16 base computes the merged weight in F32 from the
     * dequantised base (the result is not re-quantised, so nothing of the adapter's update is rounded
     * away), gives the logits of the dequantised model with the same adapter merged, and unmerging puts
     * the very block tensor back.
     */
    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "BF16"})
    void anAdapterMergesIntoAQuantisedBaseInF32AndUnmergesToItsBlocks(DType format) throws IOException {
        Llama quantized = loadStories(backend, format);
        Llama expected = dequantisedTwin(quantized);
        LoraConfig config = LoraConfig.builder(TargetModules.allLinear()).r(4).alpha(8).build();
        Adapter expectedAdapter = randomAdapter(expected, config);
        Adapter actualAdapter = randomAdapter(quantized, config);
        int[] ids = Stories.ids();
        float[] unmerged = Stories.logits(quantized, ids);
        String layer = "model.layers.0.self_attn.q_proj.base_layer.weight";
        Tensor blocks = quantized.namedParameters().get(layer);
        assertEquals(format, blocks.dtype());

        expected.eval();
        quantized.eval();
        expectedAdapter.merge();
        actualAdapter.merge();
        assertEquals(DType.F32, quantized.namedParameters().get(layer).dtype(), "the merged weight is F32");
        assertClose(Stories.logits(expected, ids), Stories.logits(quantized, ids), "logits with the adapter merged");

        actualAdapter.unmerge();
        assertSame(blocks, quantized.namedParameters().get(layer));
        assertArrayEquals(unmerged, Stories.logits(quantized, ids));
    }

    /**
     * A model whose rows are whole groups of eight blocks (256 and 512 elements), quantised to Q8_0 or
     * Q4_0, is held interleaved for the decoding kernels and computes, in every product (GEMM, GEMV,
     * the LoRA gradients through {@code dY·W}), what its dequantised twin computes.
     */
    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0"})
    void aModelHeldInterleavedComputesAsItsDequantisedWeights(DType format) {
        LlamaConfig config = new LlamaConfig(256, 512, 2, 4, 2, 64, 96, 64, 1e-5, 10000, null, false, 1, 2);
        Llama quantized = Llama.random(config, backend, 7);
        quantized.keepWeightsIn(format);
        Llama expected = dequantisedTwin(quantized);
        int[] ids = new int[12];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (i * 37 + 5) % config.vocabSize();
        }
        assertClose(Stories.logits(expected, ids), Stories.logits(quantized, ids), "prompt logits (GEMM)");
        assertDecodingMatches(expected, quantized, ids, 8);
        assertAdapterGradientsMatch(expected, quantized, ids);
    }

    @Test
    void aModelOfKQuantMatricesComputesAsItsDequantisedWeights() {
        LlamaConfig config = new LlamaConfig(256, 512, 2, 4, 2, 64, 96, 64, 1e-5, 10000, null, false, 1, 2);
        Llama quantized = Llama.random(config, backend, 7);
        Random random = new Random(11);
        int matrix = 0;
        for (Map.Entry<String, Tensor> entry : quantized.namedParameters().entrySet()) {
            Tensor weight = entry.getValue();
            if (weight.rank() == 2) {
                DType format = matrix++ % 3 == 2 ? DType.Q6_K : DType.Q4_K;
                Tensor blocks = Tensor.ofBlocks(backend, format, randomBlocks(format, weight.numel(), random), weight.dim(0), weight.dim(1));
                quantized.setParameter(entry.getKey(), blocks);
                blocks.requiresGrad(false);
            }
        }
        Llama expected = dequantisedTwin(quantized);
        int[] ids = new int[12];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (i * 37 + 5) % config.vocabSize();
        }
        assertClose(Stories.logits(expected, ids), Stories.logits(quantized, ids), "prompt logits (GEMM)");
        assertDecodingMatches(expected, quantized, ids, 8);
        assertAdapterGradientsMatch(expected, quantized, ids);
    }

    @Test
    void weightBytesCountBlocksAtTheirSize() throws IOException {
        Llama f32 = Stories.load(backend);
        Llama q4 = loadStories(backend, DType.Q4_0);
        long expected = 0;
        for (Map.Entry<String, Tensor> entry : f32.namedParameters().entrySet()) {
            Tensor weight = entry.getValue();
            boolean quantized = weight.rank() == 2 && weight.dim(1) % 32 == 0;
            expected += quantized ? (long) weight.numel() / 32 * 18 : 4L * weight.numel();
        }
        assertEquals(expected, q4.weightBytes());
        assertTrue(q4.weightBytes() < f32.weightBytes() / 3, q4.weightBytes() + " vs f32 " + f32.weightBytes());
        try (Checkpoint checkpoint = Checkpoints.open(SharedFiles.require("models/stories260K/hf"))) {
            assertEquals(expected, Llama.weightBytes(checkpoint, DType.Q4_0), "predicted from the file alone");
            assertEquals(f32.weightBytes(), Llama.weightBytes(checkpoint, Llama.AS_STORED));
        }
    }

    @Test
    void aQuantisedGgufLoadsQuantisedUnlessWidened() throws IOException, URISyntaxException {
        Path file = Path.of(LlamaQuantizedWeightsTest.class.getResource("/dev/mixtape/models/quant/stories260K-q8_0.gguf").toURI());
        Llama asStored = Llama.load(file, backend);
        Llama widened = Llama.load(file, backend, DType.F32);
        assertEquals(DType.Q8_0, asStored.parameter("model.layers.0.self_attn.q_proj.weight").dtype());
        assertEquals(DType.F32, asStored.parameter("model.layers.0.mlp.down_proj.weight").dtype(), "stored as F32 in the file");
        for (Map.Entry<String, Tensor> entry : widened.namedParameters().entrySet()) {
            assertEquals(DType.F32, entry.getValue().dtype(), entry.getKey());
        }
        int[] ids = Stories.ids();
        assertClose(Stories.logits(widened, ids), Stories.logits(asStored, ids), "logits as stored against widened");
        assertDecodingMatches(widened, asStored, ids, 20);
        try (Checkpoint checkpoint = Checkpoints.open(file)) {
            assertEquals(asStored.weightBytes(), Llama.weightBytes(checkpoint, Llama.AS_STORED));
            assertEquals(widened.weightBytes(), Llama.weightBytes(checkpoint, DType.F32));
            assertThrows(IOException.class, () -> Llama.weightBytes(checkpoint, DType.Q4_0));
        }
        IOException e = assertThrows(IOException.class, () -> Llama.load(file, backend, DType.Q4_0));
        assertTrue(e.getMessage().endsWith("is stored in Q8_0; quantising it to Q4_0 would round it twice: load the file's own "
                + "types (no --weights) or f32/bf16"), e.getMessage());
        assertTrue(e.getMessage().startsWith(file + ": tensor '"), e.getMessage());
    }

    @Test
    void kQuantsAreNotATypeToQuantiseInto() {
        Path model = SharedFiles.require("models/stories260K/hf");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Llama.load(model, backend, DType.Q4_K));
        assertEquals("weight matrices are kept in F32, BF16, Q8_0 or Q4_0, not Q4_K (Q4_K matrices are kept as a GGUF file stores them)",
                e.getMessage());
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        double scale = 0;
        for (float value : expected) {
            scale = Math.max(scale, Math.abs(value));
        }
        assertTrue(scale > 0, what + " are not all zero");
        double difference = Stories.maxDifference(expected, actual);
        assertTrue(difference <= TOLERANCE * Math.max(1, scale), what + ": differ by " + difference + " at a scale of " + scale);
    }

    private static void assertDecodingMatches(Llama expected, Llama actual, int[] prompt, int steps) {
        Llama.Session expectedSession = expected.newSession(prompt.length + steps + 1);
        Llama.Session actualSession = actual.newSession(prompt.length + steps + 1);
        float[] expectedLogits = expectedSession.forward(prompt);
        float[] actualLogits = actualSession.forward(prompt);
        for (int step = 0; step < steps; step++) {
            int next = Sampler.argmax(expectedLogits);
            assertEquals(next, Sampler.argmax(actualLogits), "greedy token at step " + step);
            expectedLogits = expectedSession.forward(next);
            actualLogits = actualSession.forward(next);
            assertClose(expectedLogits, actualLogits, "logits at decoding step " + step + " (GEMV)");
        }
    }

    private void assertAdapterGradientsMatch(Llama expected, Llama actual, int[] ids) {
        LoraConfig config = LoraConfig.builder(TargetModules.allLinear()).r(4).alpha(8).build();
        List<Tensor> expectedParameters = randomAdapter(expected, config).parameters();
        List<Tensor> actualParameters = randomAdapter(actual, config).parameters();
        expected.loss(ids, Stories.nextTokens(ids), 1, ids.length, Stories.IGNORE).backward();
        actual.loss(ids, Stories.nextTokens(ids), 1, ids.length, Stories.IGNORE).backward();
        for (int i = 0; i < expectedParameters.size(); i++) {
            assertClose(expectedParameters.get(i).grad().toFloatArray(), actualParameters.get(i).grad().toFloatArray(),
                    "gradient of adapter parameter " + i);
        }
    }

    /** Adapter "a" of {@code config} in {@code model}, every matrix (B included) drawn from the same seed whatever the model. */
    private Adapter randomAdapter(Llama model, LoraConfig config) {
        Adapter adapter = Adapters.inject(model, config, "a", new Rng(3));
        Random random = new Random(5);
        for (Tensor parameter : adapter.parameters()) {
            float[] values = new float[parameter.numel()];
            for (int j = 0; j < values.length; j++) {
                values[j] = (float) (0.05 * random.nextGaussian());
            }
            parameter.assign(Tensor.of(backend, values, parameter.shape()));
        }
        return adapter;
    }

    /** Random blocks of {@code format} for {@code elements} values: random bits, small finite f16 scales. */
    private static MemorySegment randomBlocks(DType format, int elements, Random random) {
        int blocks = elements / format.blockSize();
        byte[] bytes = new byte[blocks * format.blockBytes()];
        random.nextBytes(bytes);
        MemorySegment segment = MemorySegment.ofArray(bytes);
        int[] halves = format == DType.Q6_K ? new int[] {208} : new int[] {0, 2};
        ValueLayout.OfShort half = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < blocks; b++) {
            for (int at : halves) {
                segment.set(half, (long) b * format.blockBytes() + at, Float.floatToFloat16((float) (random.nextGaussian() * 0.0003)));
            }
        }
        return segment;
    }
}
