package dev.mixtape.spark;

import dev.mixtape.engine.Rng;
import dev.mixtape.engine.StepMemory;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.optim.TrainingStep;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.train.OptimizerSettings;
import dev.mixtape.models.train.TrainingSequence;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An executor's copy of the base model with the run's adapter attached: computes a partition's
 * gradient for the adapter weights the driver broadcast. It never updates anything itself; its
 * {@link TrainingStep} only back-propagates and reads the gradients, exactly as the driver's trainer
 * would on one machine, so a partition's gradient is the one that trainer's micro-batches would add.
 */
final class Replica {
    /** Mixes the partition into the dropout seed; partition 0 draws the masks the single-process trainer draws. */
    private static final long PARTITION_MIX = 0xC2B2AE3D27D4EB4FL;
    /** The step's share of the dropout seed, as {@code FineTuning} mixes it. */
    private static final long STEP_MIX = 0x9E3779B97F4A7C15L;

    private final Llama model;
    private final Map<String, Tensor> trainable = new LinkedHashMap<>();
    private final TrainingStep backprop;
    private final StepMemory memory;

    private Replica(Llama model) {
        this.model = model;
        model.namedParameters().forEach((name, tensor) -> {
            if (tensor.requiresGrad()) {
                trainable.put(name, tensor);
            }
        });
        this.backprop = new TrainingStep(OptimizerSettings.sgd(0, 0).create(trainable.values().stream().toList()), 0);
        this.memory = model.backend().stepMemory();
    }

    /** Loads the base model and attaches the adapter. */
    static Replica load(BaseModel base, AdapterBlueprint adapter) throws IOException {
        Llama model = base.load();
        adapter.attachTo(model);
        return new Replica(model);
    }

    /** The gradient of {@code work}'s weighted micro-batch losses at the adapter weights {@code weights}. */
    PartitionResult compute(NamedArrays weights, PartitionWork work) {
        weights.copyInto(trainable);
        model.train(new Rng(work.seed() ^ (work.step() * STEP_MIX) ^ (work.partition() * PARTITION_MIX)));
        double[] losses = new double[work.batches().size()];
        NamedArrays gradients;
        try (StepMemory.Step _ = memory.open()) {
            for (int i = 0; i < losses.length; i++) {
                MicroBatch batch = work.batches().get(i);
                Tensor loss = model.loss(batch.ids(), batch.targets(), batch.size(), batch.length(), TrainingSequence.IGNORE);
                losses[i] = loss.item();
                backprop.backward(loss, batch.weight());
            }
            gradients = NamedArrays.of(trainable.keySet().toArray(String[]::new), backprop.gradients());
            backprop.discard();
        }
        model.eval();
        return new PartitionResult(work.partition(), losses, gradients);
    }
}
