package dev.mixtape.cli;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.mole.Mole;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.train.TrainingJob;
import dev.mixtape.models.train.SequenceSource;
import dev.mixtape.models.train.SpecialIds;
import dev.mixtape.spark.BaseModel;
import dev.mixtape.spark.ExecutorDataset;
import dev.mixtape.spark.TokenizerSource;
import dev.mixtape.spark.SparkApplication;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code --spark}'s Spark application, the only class of the command line that reaches Spark: loaded
 * only once {@link SparkOption} has found Spark on the classpath.
 */
final class SparkCompute implements SparkOption.Compute {
    private final SparkApplication spark;
    private final BaseModel base;
    private final int syncEvery;
    private final String command;

    SparkCompute(String command, String master, BaseModel base, int syncEvery) {
        this.spark = SparkApplication.start(master, "mixtape " + command);
        this.command = command;
        this.base = base;
        this.syncEvery = syncEvery;
        System.err.println(command + ": " + (syncEvery == 1 ? "gradients computed" : "local SGD, adapters averaged every " + syncEvery + " steps,")
                + " on " + spark.describe());
    }

    @Override
    public TrainingJob fineTuning(Llama model, Adapter adapter, Tokenizer tokenizer) throws IOException {
        return spark.fineTuning(base, model, adapter, tokenizer, syncEvery);
    }

    @Override
    public TrainingJob gateTraining(Llama model, Mole mole, Map<String, Path> expertFolders, Tokenizer tokenizer) throws IOException {
        return spark.gateTraining(base, model, mole, expertFolders, tokenizer, syncEvery);
    }

    @Override
    public SequenceSource readData(String uri, Path tokenizerFile, Path model, SpecialIds special, int seqLen) throws IOException {
        ExecutorDataset data = spark.readData(uri, tokenizerFile != null ? TokenizerSource.file(tokenizerFile) : TokenizerSource.ofModel(model),
                special, seqLen);
        if (!data.lengthReport().isEmpty()) {
            System.err.println(command + ": " + data.lengthReport());
        }
        return data;
    }

    @Override
    public void close() {
        spark.close();
    }
}
