package dev.mixtape.spark;

import dev.mixtape.models.train.TrainingJob;
import org.apache.spark.api.java.JavaSparkContext;

/** Where a Spark run's steps are taken: synchronous steps ({@link SparkGradients}) or local SGD ({@link SparkLocalSteps}). */
final class SparkSteps {
    private SparkSteps() {
    }

    /** {@code job} with its steps on {@code spark}'s executors, each with {@code base} and {@code setup}, averaged every {@code syncEvery} steps. */
    static TrainingJob onto(TrainingJob job, JavaSparkContext spark, BaseModel base, ReplicaSetup setup, int syncEvery) {
        if (syncEvery < 1) {
            throw new IllegalArgumentException("--sync-every must be at least 1, got " + syncEvery);
        }
        return syncEvery == 1 ? job.stepGradients(new SparkGradients(spark, base, setup))
                : job.localSteps(new SparkLocalSteps(spark, base, setup, syncEvery));
    }
}
