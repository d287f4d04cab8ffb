package dev.mixtape.models.train;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.LoraConfig;
import dev.mixtape.adapters.MixerInit;
import dev.mixtape.adapters.TargetModules;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.StepMemory;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.optim.AdamW;
import dev.mixtape.engine.optim.GradClip;
import dev.mixtape.engine.optim.Optimizer;
import dev.mixtape.engine.vector.VectorBackend;
import dev.mixtape.models.llama.Llama;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link Llama#checkpointLayers}: fine-tuning with each decoder layer checkpointed gives, step by
 * step, the very losses and adapter gradients of fine-tuning without it, bit for bit, with LoRA
 * dropout on, in recycled step memory as the trainer runs, on f32 and on Q4_0 base weights. A
 * recomputation that drew other dropout masks, summed gradients in another order, missed a
 * parameter's gradient or handed back an array still in use would change some bit or fail.
 */
class LayerCheckpointingTest {
    private static final List<String> PROJECTIONS = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
    private static final int BATCH = 3;
    private static final int SEQ = 17;
    private static VectorBackend backend;

    @BeforeAll
    static void start() {
        backend = new VectorBackend(2);
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @CsvSource({"LoRA, F32", "MoSLoRA, F32", "LoRA, Q4_0"})
    void checkpointedLayersGiveTheSameLossesAndGradients(String adapterKind, DType weights) {
        Run plain = train(adapterKind, weights, false);
        Run checkpointed = train(adapterKind, weights, true);
        assertArrayEquals(plain.losses(), checkpointed.losses());
        assertEquals(plain.gradients().size(), checkpointed.gradients().size());
        for (int i = 0; i < plain.gradients().size(); i++) {
            assertArrayEquals(plain.gradients().get(i), checkpointed.gradients().get(i), "gradient " + i + " (step, then parameter)");
        }
    }

    private record Run(double[] losses, List<float[]> gradients) {
    }

    private static Run train(String adapterKind, DType weights, boolean checkpoint) {
        Llama llama = Llama.random(TinyModels.config(), backend, 5);
        llama.keepWeightsIn(weights);
        LoraConfig.Builder config = LoraConfig.builder(new TargetModules.Names(PROJECTIONS)).r(4).alpha(8).dropout(0.1);
        if (adapterKind.equals("MoSLoRA")) {
            config.mixer(MixerInit.KAIMING);
        }
        Adapter adapter = Adapters.inject(llama, config.build(), "default", new Rng(6));
        llama.train(new Rng(7));
        llama.checkpointLayers(checkpoint);
        List<Tensor> trainable = adapter.parameters();
        Optimizer optimizer = new AdamW(trainable, 1e-2, 0.01);
        StepMemory memory = backend.stepMemory();
        SplittableRandom data = new SplittableRandom(8);
        double[] losses = new double[3];
        List<float[]> gradients = new ArrayList<>();
        for (int step = 0; step < losses.length; step++) {
            int[] ids = data.ints((long) BATCH * SEQ, 0, TinyModels.config().vocabSize()).toArray();
            int[] targets = data.ints((long) BATCH * SEQ, 0, TinyModels.config().vocabSize()).toArray();
            try (StepMemory.Step open = memory.open()) {
                Tensor loss = llama.loss(ids, targets, BATCH, SEQ, TrainingSequence.IGNORE);
                losses[step] = loss.item();
                loss.backward();
                for (Tensor parameter : trainable) {
                    gradients.add(parameter.grad().toFloatArray());
                }
                GradClip.clipGlobalNorm(trainable, 1.0);
                optimizer.step();
                optimizer.zeroGrad();
            }
        }
        return new Run(losses, gradients);
    }
}
