package dev.mixtape.models.adapters;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.LoraConfig;
import dev.mixtape.adapters.MixerInit;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.adapters.TargetModules;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.optim.LrSchedule;
import dev.mixtape.engine.vector.VectorBackend;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.train.DataRecord;
import dev.mixtape.models.train.Dataset;
import dev.mixtape.models.train.Evaluator;
import dev.mixtape.models.train.TrainingResult;
import dev.mixtape.models.train.FineTuning;
import dev.mixtape.models.train.SpecialIds;
import dev.mixtape.models.train.StepMetrics;
import dev.mixtape.models.train.TrainingJob;
import dev.mixtape.models.train.TrainingConfig;
import dev.mixtape.models.train.TrainingCallback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link FineTuning} of MoSLoRA adapters on the real stories260K: it learns, resumes exactly, and runs side by side. */
class FineTuningTest {
    private static final List<String> TRAIN = List.of(
            "Zog was a purple robot who lived on the moon. Every night Zog sang a song about cheese.",
            "One day Zog met a small green frog. The frog liked the song about cheese too.",
            "Zog and the frog sang together on the moon. They were very happy.",
            "The purple robot made a big cheese cake for the frog. The frog said thank you, Zog.",
            "When the sun came up, Zog went to sleep. The frog sat on the moon and sang about cheese.");
    private static final List<String> HELD_OUT = List.of(
            "Zog the purple robot sang a song about cheese to the green frog on the moon.",
            "The frog and Zog were happy, and they sang about cheese every night.");

    private final VectorBackend backend = new VectorBackend(1);

    @TempDir
    Path folder;

    @Test
    void fineTuningStories260kOnAShortTextLowersItsHeldOutLossAndWritesAnAdapterThatReproducesIt() throws IOException {
        Llama llama = Stories.load(backend);
        Tokenizer tokenizer = Stories.tokenizer();
        Adapter adapter = Adapters.inject(llama, moslora(0.0), "story", new Rng(1));
        Dataset train = texts(TRAIN, tokenizer, llama);
        Dataset heldOut = texts(HELD_OUT, tokenizer, llama);
        TrainingConfig config = TrainingConfig.builder(30).batchSize(4).schedule(LrSchedule.cosine(1e-2, 1e-3, 3, 30)).seed(3).build();

        TrainingResult result = FineTuning.of(llama, adapter, tokenizer).data(train, heldOut).config(config).run(folder);

        assertEquals(30, result.steps());
        assertTrue(result.after().loss() < 0.85 * result.before().loss(), result.before().loss() + " -> " + result.after().loss());
        assertTrue(result.tokensPerSecond() > 0);
        for (String file : List.of(PeftFiles.CONFIG_FILE, PeftFiles.WEIGHTS_FILE, TrainingJob.CHECKPOINT, TrainingJob.METRICS)) {
            assertTrue(Files.isRegularFile(folder.resolve(file)), file);
        }
        Llama reloaded = Stories.load(backend);
        PeftFiles.load(folder, reloaded, "story");
        SpecialIds special = SpecialIds.of(tokenizer, reloaded.config());
        assertEquals(result.after().loss(), Evaluator.evaluate(reloaded, tokenizer, heldOut, special, config.batchSize()).loss(), 0.0,
                "the written adapter gives the evaluation the run reported");
        Adapters.deactivate(reloaded);
        assertEquals(result.before().loss(), Evaluator.evaluate(reloaded, tokenizer, heldOut, special, config.batchSize()).loss(), 0.0,
                "without the adapter the base model is where it started");
    }

    @Test
    void aRunWithDropoutResumedAfterACrashMatchesAnUninterruptedRunBitForBit() throws IOException {
        Tokenizer tokenizer = Stories.tokenizer();
        TrainingConfig config = TrainingConfig.builder(6).batchSize(2).schedule(LrSchedule.cosine(1e-2, 1e-3, 1, 6))
                .evalEvery(2).saveEvery(2).seed(5).build();

        Path straightFolder = folder.resolve("straight");
        Llama straight = Stories.load(backend);
        Adapter straightAdapter = Adapters.inject(straight, moslora(0.2), "story", new Rng(1));
        run(straight, straightAdapter, tokenizer, config, new TrainingCallback() {
        }).run(straightFolder);

        Path crashedFolder = folder.resolve("crashed");
        Llama crashed = Stories.load(backend);
        TrainingJob crashing = run(crashed, Adapters.inject(crashed, moslora(0.2), "story", new Rng(1)), tokenizer, config, new TrainingCallback() {
            @Override
            public void onStep(StepMetrics metrics) {
                if (metrics.step() == 5) {
                    throw new IllegalStateException("simulated crash");
                }
            }
        });
        assertThrows(IllegalStateException.class, () -> crashing.run(crashedFolder));
        Llama resumed = Stories.load(backend);
        Adapter resumedAdapter = Adapters.inject(resumed, moslora(0.2), "story", new Rng(99));
        run(resumed, resumedAdapter, tokenizer, config, new TrainingCallback() {
        }).resume(crashedFolder);

        assertEquals(metricsWithoutTimings(straightFolder), metricsWithoutTimings(crashedFolder));
        for (Map.Entry<String, Tensor> parameter : straightAdapter.namedParameters().entrySet()) {
            assertArrayEquals(parameter.getValue().toFloatArray(), resumedAdapter.namedParameters().get(parameter.getKey()).toFloatArray(),
                    parameter.getKey());
        }
        assertArrayEquals(Files.readAllBytes(straightFolder.resolve(PeftFiles.WEIGHTS_FILE)),
                Files.readAllBytes(crashedFolder.resolve(PeftFiles.WEIGHTS_FILE)));
    }

    @Test
    void dropoutMakesTheStepsDifferFromARunWithout() throws IOException {
        Tokenizer tokenizer = Stories.tokenizer();
        TrainingConfig config = TrainingConfig.builder(3).batchSize(2).seed(5).build();
        List<Double> losses = new ArrayList<>();
        for (double dropout : new double[]{0.0, 0.5}) {
            Llama llama = Stories.load(backend);
            run(llama, Adapters.inject(llama, moslora(dropout), "story", new Rng(1)), tokenizer, config, new TrainingCallback() {
            }).run(folder.resolve("dropout-" + dropout));
            losses.add(MetricsLogLines.losses(folder.resolve("dropout-" + dropout)).get(2));
        }
        assertNotEquals(losses.get(0), losses.get(1), "dropout is on during the steps");
    }

    @Test
    void twoRunsOnTwoModelsInParallelThreadsGiveWhatTheyGiveOneAfterTheOther() throws Exception {
        Tokenizer tokenizer = Stories.tokenizer();
        TrainingConfig config = TrainingConfig.builder(4).batchSize(2).seed(7).build();
        List<float[]> serial = List.of(trainedAdapter(1, tokenizer, config, "serial-1"), trainedAdapter(2, tokenizer, config, "serial-2"));
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            Future<float[]> first = pool.submit(() -> trainedAdapter(1, tokenizer, config, "parallel-1"));
            Future<float[]> second = pool.submit(() -> trainedAdapter(2, tokenizer, config, "parallel-2"));
            assertArrayEquals(serial.get(0), first.get());
            assertArrayEquals(serial.get(1), second.get());
        }
        assertNotEquals(serial.get(0)[0], serial.get(1)[0], "different seeds, different adapters");
    }

    private float[] trainedAdapter(long seed, Tokenizer tokenizer, TrainingConfig config, String name) throws IOException {
        Llama llama = Stories.load(new VectorBackend(1));
        Adapter adapter = Adapters.inject(llama, moslora(0.1), "story", new Rng(seed));
        run(llama, adapter, tokenizer, config, new TrainingCallback() {
        }).run(folder.resolve(name));
        return adapter.namedParameters().values().stream().map(Tensor::toFloatArray)
                .reduce(new float[0], FineTuningTest::concat);
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private TrainingJob run(Llama llama, Adapter adapter, Tokenizer tokenizer, TrainingConfig config, TrainingCallback listener) {
        return FineTuning.of(llama, adapter, tokenizer).data(texts(TRAIN, tokenizer, llama), texts(HELD_OUT, tokenizer, llama))
                .config(config).callback(listener);
    }

    private static LoraConfig moslora(double dropout) {
        return LoraConfig.builder(new TargetModules.AllLinear()).r(4).alpha(8).dropout(dropout).mixer(MixerInit.KAIMING).build();
    }

    private static Dataset texts(List<String> texts, Tokenizer tokenizer, Llama llama) {
        List<DataRecord> records = texts.stream().map(text -> (DataRecord) new DataRecord.Text(text, "test")).toList();
        return Dataset.of("test", records, tokenizer, SpecialIds.of(tokenizer, llama.config()), 16);
    }

    private static List<String> metricsWithoutTimings(Path run) throws IOException {
        return MetricsLogLines.read(run).stream().map(line -> {
            ((ObjectNode) line).remove("tokens_per_s");
            return line.toString();
        }).toList();
    }

    /** Reads a run's {@code metrics.jsonl}. */
    private static final class MetricsLogLines {
        static List<JsonNode> read(Path run) throws IOException {
            ObjectMapper json = new ObjectMapper();
            List<JsonNode> lines = new ArrayList<>();
            for (String line : Files.readAllLines(run.resolve(TrainingJob.METRICS))) {
                lines.add(json.readTree(line));
            }
            return lines;
        }

        static List<Double> losses(Path run) throws IOException {
            return read(run).stream().filter(line -> line.has("loss")).map(line -> line.get("loss").asDouble()).toList();
        }
    }
}
