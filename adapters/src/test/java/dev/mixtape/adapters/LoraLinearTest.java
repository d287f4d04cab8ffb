package dev.mixtape.adapters;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Linear;
import dev.mixtape.engine.vector.VectorBackend;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.mixtape.adapters.Reference.assertClose;
import static dev.mixtape.adapters.Reference.plusScaled;
import static dev.mixtape.adapters.Reference.timesTransposed;
import static dev.mixtape.adapters.Reference.widen;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The forward math of LoRA and MoSLoRA on one layer, scaling, and which parameters train. */
class LoraLinearTest {
    private static final String Q = "model.layers.0.attn.q_proj";
    private static final int ROWS = 4;

    private final Backend backend = new VectorBackend(1);

    @Test
    void loraAddsTheBranchScaledByAlphaOverR() {
        checkBranch(LoraConfig.builder(TargetModules.names(Q)).r(3).alpha(6).init(LoraInit.RANDOM).build(), 6.0 / 3);
    }

    @Test
    void rsLoraScalesByAlphaOverRootR() {
        checkBranch(LoraConfig.builder(TargetModules.names(Q)).r(3).alpha(6).useRslora(true).init(LoraInit.RANDOM).build(),
                6.0 / Math.sqrt(3));
    }

    @Test
    void mosloraPutsTheMixerBetweenAAndB() {
        checkBranch(LoraConfig.builder(TargetModules.names(Q)).r(3).alpha(6).init(LoraInit.RANDOM)
                .mixer(MixerInit.KAIMING).build(), 2.0);
    }

    /** {@code y = x·W₀ᵀ + s·x·Aᵀ·Mᵀ·Bᵀ} against double loops (f32 error at these sizes is about 1e-6). */
    private void checkBranch(LoraConfig config, double scaling) {
        ToyModel model = new ToyModel(backend, 1, 1);
        Adapter adapter = Adapters.inject(model, config, "a", new Rng(2));
        LoraLinear layer = (LoraLinear) model.namedModules().get(Q);
        Tensor x = new Rng(3).normal(backend, 0, 1, ROWS, ToyModel.DIM);

        double[] xs = widen(x.toFloatArray());
        Map<String, Tensor> params = adapter.namedParameters();
        double[] base = timesTransposed(xs, ROWS, widen(layer.base().weight().toFloatArray()), ToyModel.DIM);
        double[] h = timesTransposed(xs, ROWS, widen(params.get(Q + ".lora_A.a.weight").toFloatArray()), 3);
        if (config.useMixer()) {
            h = timesTransposed(h, ROWS, widen(params.get(Q + ".lora_AB.a.weight").toFloatArray()), 3);
        }
        double[] branch = timesTransposed(h, ROWS, widen(params.get(Q + ".lora_B.a.weight").toFloatArray()), ToyModel.DIM);

        assertEquals(scaling, config.scalingFor(Q), 1e-15);
        assertClose(plusScaled(base, scaling, branch), layer.forward(x).toFloatArray(), 1e-5, "adapted q_proj");
    }

    @Test
    void parametersCarryPeftNamesAndOnlyTheAdapterTrains() {
        ToyModel model = new ToyModel(backend, 2, 1);
        LoraConfig config = LoraConfig.builder(TargetModules.names("q_proj", "down_proj")).r(2).mixer(MixerInit.KAIMING).build();
        Adapter adapter = Adapters.inject(model, config, "default", new Rng(2));

        Map<String, Tensor> named = model.namedParameters();
        assertTrue(named.containsKey("model.layers.1.attn.q_proj.base_layer.weight"), named.keySet().toString());
        assertArrayEquals(new int[]{2, ToyModel.DIM}, named.get("model.layers.1.attn.q_proj.lora_A.default.weight").shape());
        assertArrayEquals(new int[]{ToyModel.DIM, 2}, named.get("model.layers.1.attn.q_proj.lora_B.default.weight").shape());
        assertArrayEquals(new int[]{2, 2}, named.get("model.layers.1.attn.q_proj.lora_AB.default.weight").shape());
        assertArrayEquals(new int[]{2, ToyModel.HIDDEN}, named.get("model.layers.0.mlp.down_proj.lora_A.default.weight").shape());
        assertEquals(List.of("model.layers.0.attn.q_proj", "model.layers.0.mlp.down_proj", "model.layers.1.attn.q_proj", "model.layers.1.mlp.down_proj"),
                adapter.layerNames());
        assertEquals(12, adapter.parameters().size());
        assertEquals(adapter.parameters(), model.trainableParameters());
        named.forEach((name, tensor) -> assertEquals(name.contains(".lora_"), tensor.requiresGrad(), name));
    }

    @Test
    void gradientsReachTheAdapterAndNotTheBase() {
        ToyModel model = new ToyModel(backend, 1, 1);
        Adapter adapter = Adapters.inject(model, LoraConfig.builder(TargetModules.names("v_proj")).r(2).init(LoraInit.RANDOM).build(),
                "a", new Rng(2));
        model.forward(new Rng(3).normal(backend, 0, 1, ROWS, ToyModel.DIM)).sum().backward();
        adapter.parameters().forEach(p -> assertNotNull(p.grad()));
        assertNull(model.parameter("model.layers.0.attn.v_proj.base_layer.weight").grad());
        assertNull(model.parameter("lm_head.weight").grad());
    }

    @Test
    void kaimingInitStartsAsTheBaseModelWithAUniformInOneOverRootIn() {
        int in = 4096;
        SingleLayer model = new SingleLayer(new Linear(backend, in, 3, false, new Rng(1)));
        Tensor x = new Rng(3).normal(backend, 0, 1, 2, in);
        float[] before = model.forward(x).toFloatArray();
        Adapter adapter = Adapters.inject(model, LoraConfig.builder(TargetModules.names("proj")).r(4).build(), "a", new Rng(2));

        float[] a = adapter.namedParameters().get("proj.lora_A.a.weight").toFloatArray();
        double bound = 1 / Math.sqrt(in);
        double largest = 0;
        for (float value : a) {
            largest = Math.max(largest, Math.abs(value));
        }
        assertTrue(largest <= bound && largest > 0.99 * bound, "largest |A| " + largest + " for bound " + bound);
        for (float value : adapter.namedParameters().get("proj.lora_B.a.weight").toFloatArray()) {
            assertEquals(0f, value);
        }
        assertArrayEquals(before, model.forward(x).toFloatArray());
    }

    @Test
    void gaussianInitDrawsAWithStandardDeviationOneOverR() {
        int r = 4;
        SingleLayer model = new SingleLayer(new Linear(backend, 4096, 3, false, new Rng(1)));
        Adapter adapter = Adapters.inject(model, LoraConfig.builder(TargetModules.names("proj")).r(r).init(LoraInit.GAUSSIAN).build(),
                "a", new Rng(2));
        float[] a = adapter.namedParameters().get("proj.lora_A.a.weight").toFloatArray();
        double sum = 0;
        double squares = 0;
        for (float value : a) {
            sum += value;
            squares += (double) value * value;
        }
        double mean = sum / a.length;
        double std = Math.sqrt(squares / a.length - mean * mean);
        // 16384 draws: the sample std is within 2% of the true one with probability ~1 - 1e-3.
        assertEquals(1.0 / r, std, 0.02 / r, "std of A");
        assertEquals(0, mean, 4 * (1.0 / r) / Math.sqrt(a.length), "mean of A");
        for (float value : adapter.namedParameters().get("proj.lora_B.a.weight").toFloatArray()) {
            assertEquals(0f, value);
        }
    }

    @Test
    void aZeroMixerWithAZeroBIsRefused() {
        for (LoraInit init : List.of(LoraInit.KAIMING, LoraInit.GAUSSIAN)) {
            var builder = LoraConfig.builder(TargetModules.names("q_proj")).init(init).mixer(MixerInit.ZEROS);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, builder::build);
            assertTrue(e.getMessage().contains("never trains"), e.getMessage());
        }
        assertFalse(LoraConfig.builder(TargetModules.names("q_proj")).init(LoraInit.RANDOM).mixer(MixerInit.ZEROS).build()
                .init().zeroB());
    }
}
