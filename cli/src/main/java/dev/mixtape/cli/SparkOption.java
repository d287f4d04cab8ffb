package dev.mixtape.cli;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.mole.Mole;
import dev.mixtape.engine.DType;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.llama.NonFiniteWeights;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.train.FineTuning;
import dev.mixtape.models.train.GateTraining;
import dev.mixtape.models.train.SequenceSource;
import dev.mixtape.models.train.SpecialIds;
import dev.mixtape.models.train.TrainingJob;
import dev.mixtape.spark.BaseModel;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code --spark MASTER}: computes fine-tuning's (and gate training's) gradients on Apache Spark (the {@code mixtape-spark}
 * module) instead of in this process. Spark's jars are not Mixtape's: {@code ./mixtape} puts them on
 * the classpath when the command line has {@code --spark}; without them the option fails in one line.
 */
final class SparkOption {
    /** A URI's start: a scheme of two or more characters, then {@code ://}. */
    private static final Pattern URI = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]+://");
    /** A class every Spark installation has. */
    private static final String SPARK_CONTEXT = "org.apache.spark.SparkContext";

    @Option(names = "--spark", paramLabel = "MASTER", description = "Compute each step's gradients on Apache Spark at this master "
            + "URL (local[2], local[2,3] to retry a failed task, spark://host:7077): the step's --grad-accum micro-batches are spread "
            + "over the task slots, the losses those of the same run without --spark.")
    String master;

    @Option(names = "--sync-every", paramLabel = "K", description = "With --spark: local SGD, each task slot taking K steps on its share "
            + "of the micro-batches before the adapters are averaged (token-weighted), one round trip per K steps instead of per step; "
            + "1 (default) is the synchronous run. See docs/SPARK.md for when to pick which.")
    int syncEvery = 1;

    /**
     * What a run resumed from this one's checkpoint must share with it: {@code --sync-every} when it is
     * local SGD (a synchronous run resumes with or without {@code --spark}, the runs being the same).
     */
    Map<String, String> settings() {
        return syncEvery > 1 ? Map.of("--sync-every", Integer.toString(syncEvery)) : Map.of();
    }

    /**
     * Whether {@code data} is a URI ({@code scheme://...}: {@code hdfs://}, {@code s3a://},
     * {@code file:///shared/...}), which the executors read; refused in one line without {@code --spark}.
     */
    boolean readsOnExecutors(String data) {
        if (data == null || !URI.matcher(data).lookingAt()) {
            return false;
        }
        if (master == null) {
            throw new IllegalArgumentException("--data " + data + ": a URI is read by Spark's executors; add --spark MASTER, or give a local file");
        }
        return true;
    }

    /** Where a run's gradients are computed, open until closed. */
    interface Compute extends AutoCloseable {
        /** A fine-tuning of {@code adapter}, the active adapter of {@code model}. */
        TrainingJob fineTuning(Llama model, Adapter adapter, Tokenizer tokenizer) throws IOException;

        /** Gate training for {@code mole}, attached to {@code model}, its experts from {@code expertFolders}. */
        TrainingJob gateTraining(Llama model, Mole mole, Map<String, Path> expertFolders, Tokenizer tokenizer) throws IOException;

        /**
         * The training data at {@code uri}, read and kept by the executors, tokenised by the tokenizer in
         * {@code tokenizerFile} (null: the model's own) into windows of {@code seqLen}.
         */
        SequenceSource readData(String uri, Path tokenizerFile, Path model, SpecialIds special, int seqLen) throws IOException;

        @Override
        void close();
    }

    /**
     * This process, or with {@code --spark} a Spark application for {@code command} at its master whose
     * executors load {@code model} (as {@code backend}, {@code weights} and {@code nonFinite} say) themselves.
     */
    Compute open(String command, Path model, String backend, DType weights, NonFiniteWeights nonFinite) {
        if (master == null) {
            return new Compute() {
                @Override
                public TrainingJob fineTuning(Llama llama, Adapter adapter, Tokenizer tokenizer) {
                    return FineTuning.of(llama, adapter, tokenizer);
                }

                @Override
                public TrainingJob gateTraining(Llama llama, Mole mole, Map<String, Path> expertFolders, Tokenizer tokenizer) {
                    return GateTraining.of(llama, mole, expertFolders, tokenizer);
                }

                @Override
                public SequenceSource readData(String uri, Path tokenizerFile, Path model, SpecialIds special, int seqLen) {
                    throw new IllegalStateException("data on executors without --spark");
                }

                @Override
                public void close() {
                }
            };
        }
        requireSpark();
        return new SparkCompute(command, master, new BaseModel(model.toAbsolutePath().toString(), backend, weights, nonFinite), syncEvery);
    }

    /**
     * With {@code --spark}, refuses in one line a classpath without Spark, before anything is written;
     * refuses {@code --sync-every} below 1, or above 1 without {@code --spark}.
     */
    void requireSpark() {
        if (syncEvery < 1) {
            throw new IllegalArgumentException("--sync-every must be at least 1, got " + syncEvery);
        }
        if (master == null) {
            if (syncEvery > 1) {
                throw new IllegalArgumentException("--sync-every " + syncEvery + " needs --spark: local SGD averages the adapters of Spark's task slots");
            }
            return;
        }
        try {
            Class.forName(SPARK_CONTEXT, false, SparkOption.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("--spark: Apache Spark is not on the classpath (" + SPARK_CONTEXT + " is missing); "
                    + "./mixtape adds it in a checkout, the distribution takes it from $SPARK_HOME/jars (Spark 4.2, Scala 2.13)");
        }
    }
}
