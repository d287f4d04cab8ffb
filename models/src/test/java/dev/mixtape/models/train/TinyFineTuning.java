package dev.mixtape.models.train;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.LoraConfig;
import dev.mixtape.adapters.MixerInit;
import dev.mixtape.adapters.TargetModules;
import dev.mixtape.engine.Backend;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.StepMemory;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.optim.AdamW;
import dev.mixtape.engine.optim.GradClip;
import dev.mixtape.engine.optim.Optimizer;
import dev.mixtape.models.llama.Llama;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A few AdamW steps of LoRA (r 4, dropout 0.1, on all seven projections) or MoSLoRA fine-tuning of a
 * random {@link TinyModels#config() tiny Llama}, every draw seeded, so that two runs differing in one
 * setting (the step memory, checkpointed layers) can be compared bit for bit.
 */
final class TinyFineTuning {
    private static final List<String> PROJECTIONS = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
    private static final int BATCH = 3;
    private static final int SEQ = 17;

    private TinyFineTuning() {
    }

    /** What a run gives: each step's loss, each step's adapter gradients (step, then parameter) and the trained parameters. */
    record Run(double[] losses, List<float[]> gradients, List<float[]> parameters) {
    }

    /**
     * {@code steps} steps of {@code adapterKind} ("LoRA" or "MoSLoRA") on base weights kept in
     * {@code weights}, with each decoder layer checkpointed or not, each step opened in {@code memory}.
     */
    static Run train(Backend backend, String adapterKind, DType weights, boolean checkpointLayers, StepMemory memory, int steps) {
        Llama llama = Llama.random(TinyModels.config(), backend, 5);
        llama.keepWeightsIn(weights);
        LoraConfig.Builder config = LoraConfig.builder(new TargetModules.Names(PROJECTIONS)).r(4).alpha(8).dropout(0.1);
        if (adapterKind.equals("MoSLoRA")) {
            config.mixer(MixerInit.KAIMING);
        }
        Adapter adapter = Adapters.inject(llama, config.build(), "default", new Rng(6));
        llama.train(new Rng(7));
        llama.checkpointLayers(checkpointLayers);
        List<Tensor> trainable = adapter.parameters();
        Optimizer optimizer = new AdamW(trainable, 1e-2, 0.01);
        SplittableRandom data = new SplittableRandom(8);
        double[] losses = new double[steps];
        List<float[]> gradients = new ArrayList<>();
        for (int step = 0; step < steps; step++) {
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
        List<float[]> parameters = new ArrayList<>();
        for (Tensor parameter : trainable) {
            parameters.add(parameter.toFloatArray());
        }
        return new Run(losses, gradients, parameters);
    }
}
