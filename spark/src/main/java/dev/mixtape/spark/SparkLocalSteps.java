package dev.mixtape.spark;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.optim.Optimizer;
import dev.mixtape.models.train.LocalSteps;
import dev.mixtape.models.train.TrainingConfig;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The driver's side of local SGD on Spark ({@code --sync-every K}). Each round (at most K steps) it
 * broadcasts the trained weights and the optimizer's state, splits every step's micro-batches into
 * contiguous shares over the same partitions (at most one per task slot, as {@link SparkGradients}
 * does), has each partition take one local optimizer step per step on its share ({@link Replica#round}),
 * and averages the partitions' weights and optimizer states, each weighted by the predicted tokens of
 * its shares, adding in partition order: a run repeats bit for bit. With one partition the round is the
 * single-process run's steps exactly. A step's figures (MoLE's) are those of the last partition with a
 * share of it, after its last micro-batch.
 *
 * <p>The optimizer state travels with the round: every partition starts from the averaged moments of
 * the last round (or the checkpoint's), so a round is a pure function of its broadcast and its work,
 * a retried task computes the same result, and the driver's checkpoint holds the whole state.
 */
final class SparkLocalSteps implements LocalSteps {
    private final JavaSparkContext spark;
    private final BaseModel base;
    private final Broadcast<ReplicaSetup> setup;
    private final int slots;
    private final int roundSteps;
    private int failingStep = -1;
    private int failingPartition = -1;
    private int failingAttempts;

    /** Rounds of at most {@code roundSteps} (at least 2) local steps. */
    SparkLocalSteps(JavaSparkContext spark, BaseModel base, ReplicaSetup setup, int roundSteps) {
        if (roundSteps < 2) {
            throw new IllegalArgumentException("local SGD takes at least 2 steps between averagings, got " + roundSteps);
        }
        this.spark = spark;
        this.base = base;
        this.setup = spark.broadcast(setup);
        this.slots = SparkGradients.taskSlots(spark);
        this.roundSteps = roundSteps;
    }

    /** A test hook: the first {@code attempts} attempts of {@code partition}'s task in the round from {@code firstStep} throw. */
    void failAttempts(int firstStep, int partition, int attempts) {
        failingStep = firstStep;
        failingPartition = partition;
        failingAttempts = attempts;
    }

    @Override
    public int roundSteps() {
        return roundSteps;
    }

    @Override
    public Round round(int firstStep, List<RoundStep> steps, Map<String, Tensor> trainable, Optimizer optimizer, TrainingConfig config) {
        int partitions = Math.max(1, Math.min(slots, steps.stream().mapToInt(step -> step.batches().size()).max().orElse(0)));
        List<RoundWork> work = new ArrayList<>(partitions);
        List<List<List<MicroBatch>>> shares = new ArrayList<>();
        for (RoundStep step : steps) {
            shares.add(MicroBatch.shares(step.batches(), step.weights(), partitions));
        }
        double[] learningRates = steps.stream().mapToDouble(RoundStep::learningRate).toArray();
        for (int p = 0; p < partitions; p++) {
            int partition = p;
            work.add(new RoundWork(p, firstStep, config.seed(), shares.stream().map(step -> step.get(partition)).toList(), learningRates,
                    config.optimizer(), config.clipNorm(), firstStep == failingStep && p == failingPartition ? failingAttempts : 0));
        }
        List<RoundResult> results = compute(firstStep, work, new RoundStart(NamedArrays.of(trainable), NamedArrays.of(optimizer.state())));

        double[] losses = new double[steps.size()];
        double[] gradNorms = new double[steps.size()];
        double[] tokens = new double[partitions];
        for (int p = 0; p < partitions; p++) {
            for (int s = 0; s < steps.size(); s++) {
                List<MicroBatch> share = work.get(p).steps().get(s);
                double shareWeight = 0;
                for (int i = 0; i < share.size(); i++) {
                    losses[s] += share.get(i).weight() * results.get(p).losses()[s][i];
                    shareWeight += share.get(i).weight();
                    tokens[p] += share.get(i).predictedTokens();
                }
                gradNorms[s] += shareWeight * results.get(p).gradNorms()[s];
            }
        }
        List<Map<String, Double>> figures = new ArrayList<>();
        for (int s = 0; s < steps.size(); s++) {
            figures.add(Map.of());
            for (int p = partitions - 1; p >= 0 && figures.getLast().isEmpty(); p--) {
                figures.set(s, results.get(p).figures().get(s));
            }
        }
        Backend backend = trainable.values().iterator().next().backend();
        return new Round(losses, gradNorms, average(results.stream().map(RoundResult::weights).toList(), tokens).toMap(backend),
                average(results.stream().map(RoundResult::optimizerState).toList(), tokens).toMap(backend), figures);
    }

    private List<RoundResult> compute(int firstStep, List<RoundWork> work, RoundStart start) {
        BaseModel model = base;
        Broadcast<ReplicaSetup> blueprint = setup;
        try {
            Broadcast<RoundStart> broadcast = spark.broadcast(start);
            try {
                return spark.parallelize(work, work.size()).map(share -> ExecutorModels.round(model, blueprint, broadcast, share)).collect();
            } finally {
                broadcast.destroy();
            }
        } catch (Exception e) {
            throw new SparkStepFailedException(firstStep, e);
        }
    }

    /**
     * The partitions' arrays averaged element by element, each weighted by its share of {@code tokens},
     * added in partition order; an optimizer's step counts (names ending in {@code .step}) take the largest.
     */
    static NamedArrays average(List<NamedArrays> partitions, double[] tokens) {
        NamedArrays first = partitions.getFirst();
        double total = 0;
        for (double t : tokens) {
            total += t;
        }
        float[][] averaged = new float[first.names().length][];
        for (int j = 0; j < averaged.length; j++) {
            boolean stepCount = first.names()[j].endsWith(".step");
            double[] sum = new double[first.values()[j].length];
            for (int p = 0; p < partitions.size(); p++) {
                NamedArrays partition = partitions.get(p);
                if (partition.names().length != first.names().length || !partition.names()[j].equals(first.names()[j])) {
                    throw new IllegalStateException("partitions 0 and " + p + " of a round end with different tensors: "
                            + String.join(", ", first.names()) + " vs " + String.join(", ", partition.names()));
                }
                float[] values = partition.values()[j];
                double share = tokens[p] / total;
                for (int k = 0; k < sum.length; k++) {
                    sum[k] = stepCount ? Math.max(sum[k], values[k]) : sum[k] + share * values[k];
                }
            }
            averaged[j] = new float[sum.length];
            for (int k = 0; k < sum.length; k++) {
                averaged[j][k] = (float) sum[k];
            }
        }
        return new NamedArrays(first.names(), first.shapes(), averaged);
    }
}
