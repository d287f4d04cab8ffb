package dev.mixtape.spark;

import dev.mixtape.engine.Rng;
import dev.mixtape.engine.StepMemory;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.optim.Optimizer;
import dev.mixtape.engine.optim.TrainingStep;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.train.OptimizerSettings;
import dev.mixtape.models.train.TrainingCallback;
import dev.mixtape.models.train.TrainingSequence;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An executor's copy of the base model with what the run trains attached ({@link ReplicaSetup}: an
 * adapter, or a MoLE's gates, each micro-batch's loss completed as the driver's callbacks complete it): computes a partition's
 * gradient for the adapter weights the driver broadcast, or takes a partition's round of local steps.
 * For a gradient it updates nothing; its {@link TrainingStep} only back-propagates and reads the
 * gradients, exactly as the driver's trainer would on one machine, so a partition's gradient is the one
 * that trainer's micro-batches would add. A round's local steps are that trainer's steps on the
 * partition's share, with an optimizer of the round's own started from the broadcast state.
 */
final class Replica {
    /** Mixes the partition into the dropout seed; partition 0 draws the masks the single-process trainer draws. */
    private static final long PARTITION_MIX = 0xC2B2AE3D27D4EB4FL;
    /** The step's share of the dropout seed, as {@code FineTuning} mixes it. */
    private static final long STEP_MIX = 0x9E3779B97F4A7C15L;

    private final Llama model;
    /** What the driver's callbacks add to each micro-batch's loss (MoLE's balance term), and the step's figures. */
    private final TrainingCallback objective;
    private final Map<String, Tensor> trainable = new LinkedHashMap<>();
    private final TrainingStep backprop;
    private final StepMemory memory;

    private Replica(Llama model, TrainingCallback objective) {
        this.model = model;
        this.objective = objective;
        model.namedParameters().forEach((name, tensor) -> {
            if (tensor.requiresGrad()) {
                trainable.put(name, tensor);
            }
        });
        this.backprop = new TrainingStep(OptimizerSettings.sgd(0, 0).create(trainable.values().stream().toList()), 0);
        this.memory = model.backend().stepMemory();
    }

    /** Loads the base model and attaches what the run trains. */
    static Replica load(BaseModel base, ReplicaSetup setup) throws IOException {
        Llama model = base.load();
        return new Replica(model, setup.attachTo(model));
    }

    /** The gradient of {@code work}'s weighted micro-batch losses at the adapter weights {@code weights}. */
    PartitionResult compute(NamedArrays weights, PartitionWork work) {
        weights.copyInto(trainable);
        model.train(dropoutRng(work.seed(), work.step(), work.partition()));
        double[] losses = new double[work.batches().size()];
        NamedArrays gradients;
        LinkedHashMap<String, Double> figures;
        try (StepMemory.Step _ = memory.open()) {
            for (int i = 0; i < losses.length; i++) {
                MicroBatch batch = work.batches().get(i);
                Tensor loss = model.loss(batch.ids(), batch.targets(), batch.size(), batch.length(), TrainingSequence.IGNORE);
                losses[i] = loss.item();
                backprop.backward(objective.objective(loss), batch.weight());
            }
            figures = new LinkedHashMap<>(objective.stepFigures());
            gradients = NamedArrays.of(trainable.keySet().toArray(String[]::new), backprop.gradients());
            backprop.discard();
        }
        model.eval();
        return new PartitionResult(work.partition(), losses, gradients, figures);
    }

    /**
     * {@code work}'s local steps from {@code start}: for each step of the round with a share, the share's
     * micro-batch losses weighted by their part of the share's predicted tokens, back-propagated, clipped
     * and stepped, as the single-process trainer steps on the whole step.
     */
    RoundResult round(RoundStart start, RoundWork work) {
        start.weights().copyInto(trainable);
        Optimizer optimizer = work.optimizer().create(new ArrayList<>(trainable.values()));
        optimizer.loadState(start.optimizerState().toMap(model.backend()));
        TrainingStep localStep = new TrainingStep(optimizer, work.clipNorm());
        int steps = work.steps().size();
        double[][] losses = new double[steps][];
        double[] gradNorms = new double[steps];
        List<LinkedHashMap<String, Double>> figures = new ArrayList<>();
        for (int s = 0; s < steps; s++) {
            List<MicroBatch> share = work.steps().get(s);
            losses[s] = new double[share.size()];
            figures.add(new LinkedHashMap<>());
            if (share.isEmpty()) {
                continue;
            }
            double shareWeight = share.stream().mapToDouble(MicroBatch::weight).sum();
            try (StepMemory.Step _ = memory.open()) {
                model.train(dropoutRng(work.seed(), work.firstStep() + s, work.partition()));
                optimizer.setLr(work.learningRates()[s]);
                for (int i = 0; i < share.size(); i++) {
                    MicroBatch batch = share.get(i);
                    Tensor loss = model.loss(batch.ids(), batch.targets(), batch.size(), batch.length(), TrainingSequence.IGNORE);
                    losses[s][i] = loss.item();
                    localStep.backward(objective.objective(loss), batch.weight() / shareWeight);
                }
                figures.getLast().putAll(objective.stepFigures());
                gradNorms[s] = localStep.clip();
                localStep.update();
            }
        }
        model.eval();
        return new RoundResult(losses, gradNorms, NamedArrays.of(trainable), NamedArrays.of(optimizer.state()), figures);
    }

    /** The dropout masks' generator of {@code partition} in {@code step}; partition 0's is the single-process trainer's. */
    private static Rng dropoutRng(long seed, int step, int partition) {
        return new Rng(seed ^ (step * STEP_MIX) ^ (partition * PARTITION_MIX));
    }
}
