package dev.mixtape.spark;

import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.optim.TrainingStep;
import dev.mixtape.models.train.Batch;
import dev.mixtape.models.train.StepGradients;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The driver's side of synchronous data parallelism on Spark. Each step it broadcasts the trained
 * weights (an adapter's, a MoLE's gates), splits the step's micro-batches into contiguous shares, one per partition (at most one per
 * task slot), has each partition compute its share's gradient on its executor's cached model
 * ({@link ExecutorModels}), and adds the partitions' gradients into the trainer's parameters in
 * partition order, so that the sum is the same whichever executor finishes first. With one
 * micro-batch per partition the gradients, and so the run, are bit for bit those of a single-process
 * run that accumulates as many micro-batches.
 *
 * <p>A task that fails is retried by Spark ({@code spark.task.maxFailures}; in local mode the
 * {@code F} of {@code local[N,F]}); its retry computes the same gradient from the same broadcast. A
 * step whose tasks fail beyond the retries throws {@link SparkStepFailedException} before anything
 * is added, so the trainer stops with its last checkpoint as it was.
 */
final class SparkGradients implements StepGradients {
    private final JavaSparkContext spark;
    private final BaseModel base;
    private final Broadcast<ReplicaSetup> setup;
    private final int slots;
    /** The last step's figures, from its last micro-batch's partition. */
    private Map<String, Double> figures = Map.of();
    private int failingStep = -1;
    private int failingPartition = -1;
    private int failingAttempts;

    SparkGradients(JavaSparkContext spark, BaseModel base, ReplicaSetup setup) {
        this.spark = spark;
        this.base = base;
        this.setup = spark.broadcast(setup);
        this.slots = taskSlots(spark);
    }

    /** How many tasks the application runs at once: its default parallelism over the cores a task takes. */
    static int taskSlots(JavaSparkContext spark) {
        return Math.max(1, spark.defaultParallelism() / spark.getConf().getInt("spark.task.cpus", 1));
    }

    /** A test hook: the first {@code attempts} attempts of {@code partition}'s task in {@code step} throw, as lost executors would. */
    void failAttempts(int step, int partition, int attempts) {
        failingStep = step;
        failingPartition = partition;
        failingAttempts = attempts;
    }

    @Override
    public double[] accumulate(int step, long seed, List<Batch> batches, double[] weights, Map<String, Tensor> trainable,
                               TrainingStep into) {
        if (batches.isEmpty()) {
            return new double[0];
        }
        List<PartitionWork> work = split(step, seed, batches, weights);
        BaseModel model = base;
        Broadcast<ReplicaSetup> blueprint = setup;
        List<PartitionResult> results;
        try {
            Broadcast<NamedArrays> broadcast = spark.broadcast(NamedArrays.of(trainable));
            try {
                results = spark.parallelize(work, work.size()).map(share -> ExecutorModels.compute(model, blueprint, broadcast, share))
                        .collect();
            } finally {
                broadcast.destroy();
            }
        } catch (Exception e) {
            throw new SparkStepFailedException(step, e);
        }
        double[] losses = new double[batches.size()];
        int next = 0;
        figures = results.getLast().figures();
        for (PartitionResult result : results) {
            into.addGradients(result.gradients().toTensors(trainable));
            System.arraycopy(result.losses(), 0, losses, next, result.losses().length);
            next += result.losses().length;
        }
        return losses;
    }

    @Override
    public Map<String, Double> stepFigures() {
        return figures;
    }

    /** The micro-batches in contiguous shares ({@link MicroBatch#shares}), one per partition, at most one per task slot. */
    private List<PartitionWork> split(int step, long seed, List<Batch> batches, double[] weights) {
        List<List<MicroBatch>> shares = MicroBatch.shares(batches, weights, Math.min(batches.size(), slots));
        List<PartitionWork> work = new ArrayList<>(shares.size());
        for (int p = 0; p < shares.size(); p++) {
            work.add(new PartitionWork(p, step, seed, shares.get(p), step == failingStep && p == failingPartition ? failingAttempts : 0));
        }
        return work;
    }
}
