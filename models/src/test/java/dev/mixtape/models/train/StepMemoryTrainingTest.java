package dev.mixtape.models.train;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.LoraConfig;
import dev.mixtape.adapters.MixerInit;
import dev.mixtape.adapters.TargetModules;
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
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fine-tuning a Llama with recycled step memory gives the very bits fine-tuning without it gives.
 * From the second step on, every op's output is a previous step's array, zeroed only where the op
 * asked for zeros: an op that asked for an array to overwrite and left part of it unwritten would
 * leak the previous step's values into this one and change the bits.
 */
class StepMemoryTrainingTest {
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

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"LoRA", "MoSLoRA"})
    void recycledStepsTrainToTheSameBits(String adapterKind) {
        Run plain = train(adapterKind, StepMemory.NONE);
        Run recycled = train(adapterKind, backend.stepMemory());
        assertArrayEquals(plain.losses(), recycled.losses());
        assertEquals(plain.parameters().size(), recycled.parameters().size());
        for (int i = 0; i < plain.parameters().size(); i++) {
            assertArrayEquals(plain.parameters().get(i), recycled.parameters().get(i), "trainable parameter " + i);
        }
    }

    private record Run(double[] losses, List<float[]> parameters) {
    }

    private static Run train(String adapterKind, StepMemory memory) {
        Llama llama = Llama.random(TinyModels.config(), backend, 5);
        LoraConfig.Builder config = LoraConfig.builder(new TargetModules.Names(PROJECTIONS)).r(4).alpha(8).dropout(0.1);
        if (adapterKind.equals("MoSLoRA")) {
            config.mixer(MixerInit.KAIMING);
        }
        Adapter adapter = Adapters.inject(llama, config.build(), "default", new Rng(6));
        llama.train(new Rng(7));
        List<Tensor> trainable = adapter.parameters();
        Optimizer optimizer = new AdamW(trainable, 1e-2, 0.01);
        SplittableRandom data = new SplittableRandom(8);
        double[] losses = new double[4];
        for (int step = 0; step < losses.length; step++) {
            int[] ids = data.ints((long) BATCH * SEQ, 0, TinyModels.config().vocabSize()).toArray();
            int[] targets = data.ints((long) BATCH * SEQ, 0, TinyModels.config().vocabSize()).toArray();
            try (StepMemory.Step open = memory.open()) {
                Tensor loss = llama.loss(ids, targets, BATCH, SEQ, TrainingSequence.IGNORE);
                losses[step] = loss.item();
                loss.backward();
                GradClip.clipGlobalNorm(trainable, 1.0);
                optimizer.step();
                optimizer.zeroGrad();
            }
        }
        List<float[]> parameters = new ArrayList<>();
        for (Tensor parameter : trainable) {
            parameters.add(parameter.toFloatArray());
        }
        return new Run(losses, parameters);
    }
}
