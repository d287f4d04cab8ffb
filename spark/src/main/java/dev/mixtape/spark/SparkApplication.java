package dev.mixtape.spark;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.mole.Mole;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.train.SpecialIds;
import dev.mixtape.models.train.TrainingJob;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Locale;

/**
 * A Spark application that Mixtape starts itself (the command line's {@code --spark MASTER}), so that
 * a caller without Spark on its compile classpath can run a {@link SparkFineTuning} or a
 * {@link SparkGateTraining}. Closing it stops
 * the application.
 */
public final class SparkApplication implements AutoCloseable {
    private final JavaSparkContext spark;

    private SparkApplication(JavaSparkContext spark) {
        this.spark = spark;
    }

    /** The JVM flags every Mixtape process needs (the Vector API, native access), which a cluster's executors start with. */
    public static final String EXECUTOR_JVM_FLAGS = "--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED "
            + "--sun-misc-unsafe-memory-access=allow";

    /**
     * Starts an application named {@code name} at {@code master} (any Spark master URL), logging only
     * Spark's warnings and without its console progress bar, which would cut through Mixtape's own.
     * The executors start with {@link #EXECUTOR_JVM_FLAGS} unless {@code spark.executor.extraJavaOptions}
     * is set (then it must hold them); on a cluster, {@code spark.jars} (a {@code spark.*} system
     * property, as {@code ./mixtape} sets it) must name the {@code mixtape-spark-*-all.jar} assembly.
     */
    public static SparkApplication start(String master, String name) {
        SparkConf conf = new SparkConf().setMaster(master).setAppName(name).setIfMissing("spark.ui.showConsoleProgress", "false")
                .setIfMissing("spark.executor.extraJavaOptions", EXECUTOR_JVM_FLAGS);
        JavaSparkContext spark = new JavaSparkContext(conf);
        spark.setLogLevel("WARN");
        return new SparkApplication(spark);
    }

    /** As {@link SparkFineTuning#of(JavaSparkContext, BaseModel, Llama, Adapter, Tokenizer, int)}, on this application. */
    public TrainingJob fineTuning(BaseModel base, Llama model, Adapter adapter, Tokenizer tokenizer, int syncEvery) throws IOException {
        return SparkFineTuning.of(spark, base, model, adapter, tokenizer, syncEvery);
    }

    /** As {@link SparkGateTraining#of}, on this application. */
    public TrainingJob gateTraining(BaseModel base, Llama model, Mole mole, Map<String, Path> expertFolders, Tokenizer tokenizer, int syncEvery)
            throws IOException {
        return SparkGateTraining.of(spark, base, model, mole, expertFolders, tokenizer, syncEvery);
    }

    /** As {@link ExecutorDataset#read}, on this application. */
    public ExecutorDataset readData(String uri, TokenizerSource tokenizer, SpecialIds special, int seqLen) throws IOException {
        return ExecutorDataset.read(spark, uri, tokenizer, special, seqLen);
    }

    /** Spark's version, the master and its task slots, for a log line. */
    public String describe() {
        return String.format(Locale.ROOT, "Spark %s at %s, %d task slots", spark.version(), spark.master(), SparkGradients.taskSlots(spark));
    }

    @Override
    public void close() {
        spark.close();
    }
}
