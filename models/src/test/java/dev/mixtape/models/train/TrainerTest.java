package dev.mixtape.models.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.optim.LrSchedule;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The training loop end to end on a tiny Llama: learning, resuming, stopping on NaN, accumulation, frozen parameters. */
class TrainerTest {
    private static final Tokenizer TOKENIZER = CharacterTokenizer.create();
    private static final SpecialIds SPECIAL = new SpecialIds(0, 1);

    @TempDir
    Path folder;

    private static Dataset pairs() {
        List<DataRecord> records = List.of(
                new DataRecord.PromptCompletion("red?", " apple", "p:1"),
                new DataRecord.PromptCompletion("sky?", " blue", "p:2"),
                new DataRecord.PromptCompletion("one?", " two", "p:3"),
                new DataRecord.PromptCompletion("sun?", " hot", "p:4"));
        return Dataset.of("pairs", records, TOKENIZER, SPECIAL, 32);
    }

    private static Dataset story() {
        String text = "Once there was a small cat. The cat liked milk. One day the cat found a big red ball and played all day.";
        return Dataset.of("story", List.of(new DataRecord.Text(text, "story")), TOKENIZER, SPECIAL, 16);
    }

    private static TrainingJob job(Llama model, Dataset train, Dataset eval, TrainingConfig config, TrainingCallback callback) {
        return TrainingJob.of(model, TOKENIZER).data(train, eval).config(config).callback(callback);
    }

    /** Collects what the trainer reports. */
    private static class Recorder implements TrainingCallback {
        final List<StepMetrics> steps = new ArrayList<>();
        final Map<Integer, Evaluation> evaluations = new HashMap<>();
        final Map<Integer, byte[]> checkpoints = new HashMap<>();

        @Override
        public void onStep(StepMetrics metrics) {
            steps.add(metrics);
        }

        @Override
        public void onEvaluation(int step, Evaluation evaluation) {
            evaluations.put(step, evaluation);
        }

        @Override
        public void onCheckpoint(int step, Path file) {
            try {
                checkpoints.put(step, Files.readAllBytes(file));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Test
    void learnsPromptCompletionPairsUntilEveryGreedyCompletionIsExact() throws IOException {
        Dataset data = pairs();
        TrainingConfig config = TrainingConfig.builder(150).batchSize(4).optimizer(OptimizerSettings.adamw(0.0))
                .schedule(LrSchedule.cosine(1e-2, 1e-3, 10, 150)).evalEvery(50).build();
        Recorder recorder = new Recorder();
        job(TinyModels.random(1), data, data, config, recorder).run(folder);

        Evaluation before = recorder.evaluations.get(0);
        Evaluation after = recorder.evaluations.get(150);
        assertEquals(0.0, before.accuracy().orElseThrow());
        assertEquals(1.0, after.accuracy().orElseThrow());
        assertTrue(after.loss() < 0.1 * before.loss(), before.loss() + " -> " + after.loss());
        assertEquals(data.predictedTokens(), after.tokens());

        List<JsonNode> lines = MetricsLog.read(folder.resolve(TrainingJob.METRICS));
        assertEquals(150, lines.stream().filter(line -> line.has("loss")).count());
        assertEquals(List.of(0, 50, 100, 150), lines.stream().filter(line -> line.has("eval_loss")).map(line -> line.get("step").asInt()).toList());
        assertTrue(Files.isRegularFile(folder.resolve(TrainingJob.CHECKPOINT)));
    }

    @Test
    void resumingAfterACrashGivesTheMetricsOfAnUninterruptedRunBitForBit() throws IOException {
        TrainingConfig config = TrainingConfig.builder(8).batchSize(2).gradientAccumulation(2)
                .optimizer(OptimizerSettings.adamw(0.1)).schedule(LrSchedule.cosine(5e-3, 5e-4, 2, 8))
                .clipNorm(0.5).evalEvery(2).saveEvery(3).seed(4).build();
        Dataset eval = pairs();
        Path uninterrupted = folder.resolve("uninterrupted");
        Llama straight = TinyModels.random(2);
        job(straight, story(), eval, config, new Recorder()).run(uninterrupted);

        Path crashed = folder.resolve("crashed");
        TrainingCallback crashAfterStep5 = new TrainingCallback() {
            @Override
            public void onStep(StepMetrics metrics) {
                if (metrics.step() == 5) {
                    throw new IllegalStateException("simulated crash");
                }
            }
        };
        assertThrows(IllegalStateException.class,
                () -> job(TinyModels.random(2), story(), eval, config, crashAfterStep5).run(crashed));
        Llama resumed = TinyModels.random(99);
        job(resumed, story(), eval, config, new Recorder()).resume(crashed);

        List<String> expected = MetricsLog.read(uninterrupted.resolve(TrainingJob.METRICS)).stream().map(TrainerTest::withoutTimings).toList();
        assertEquals(8 + 5, expected.size(), "8 steps and 5 evaluations");
        assertEquals(expected, MetricsLog.read(crashed.resolve(TrainingJob.METRICS)).stream().map(TrainerTest::withoutTimings).toList());
        for (Map.Entry<String, Tensor> parameter : straight.namedParameters().entrySet()) {
            assertArrayEquals(parameter.getValue().toFloatArray(), resumed.parameter(parameter.getKey()).toFloatArray(), parameter.getKey());
        }
    }

    /**
     * A stop request (Ctrl-C) after step 4 checkpoints step 4 and stops; resuming finishes the run with
     * the metrics and parameters of a run that never stopped, and resuming the finished run trains
     * nothing and leaves its metrics as they were.
     */
    @Test
    void aStopRequestCheckpointsTheStepReachedAndResumingFinishesAsIfNeverStopped() throws IOException {
        TrainingConfig config = TrainingConfig.builder(6).batchSize(2).schedule(LrSchedule.cosine(5e-3, 5e-4, 1, 6)).seed(3).build();
        Path straightFolder = folder.resolve("straight");
        Llama straight = TinyModels.random(5);
        job(straight, story(), pairs(), config, new Recorder()).run(straightFolder);

        Path stoppedFolder = folder.resolve("stopped");
        StopRequest stop = new StopRequest();
        Recorder stopping = new Recorder() {
            @Override
            public void onStep(StepMetrics metrics) {
                super.onStep(metrics);
                if (metrics.step() == 4) {
                    stop.request();
                }
            }
        };
        TrainingInterruptedException e = assertThrows(TrainingInterruptedException.class,
                () -> job(TinyModels.random(5), story(), pairs(), config, stopping).stopRequest(stop).run(stoppedFolder));
        assertEquals(4, e.step());
        assertEquals(List.of(4), List.copyOf(stopping.checkpoints.keySet()), "the step reached, and no other after step 0");

        Llama resumed = TinyModels.random(99);
        Recorder second = new Recorder();
        assertEquals(4, job(resumed, story(), pairs(), config, second).resume(stoppedFolder).firstStep());
        assertEquals(5, second.steps.getFirst().step());
        List<String> expected = MetricsLog.read(straightFolder.resolve(TrainingJob.METRICS)).stream().map(TrainerTest::withoutTimings).toList();
        assertEquals(expected, MetricsLog.read(stoppedFolder.resolve(TrainingJob.METRICS)).stream().map(TrainerTest::withoutTimings).toList());
        for (Map.Entry<String, Tensor> parameter : straight.namedParameters().entrySet()) {
            assertArrayEquals(parameter.getValue().toFloatArray(), resumed.parameter(parameter.getKey()).toFloatArray(), parameter.getKey());
        }

        byte[] metrics = Files.readAllBytes(stoppedFolder.resolve(TrainingJob.METRICS));
        Recorder third = new Recorder();
        assertEquals(6, job(TinyModels.random(98), story(), pairs(), config, third).resume(stoppedFolder).firstStep());
        assertTrue(third.steps.isEmpty() && third.evaluations.isEmpty(), "a finished run is not trained again");
        assertArrayEquals(metrics, Files.readAllBytes(stoppedFolder.resolve(TrainingJob.METRICS)));
    }

    @Test
    void resumingRefusesADifferentSetup() throws IOException {
        TrainingConfig config = TrainingConfig.builder(2).batchSize(2).build();
        job(TinyModels.random(3), story(), null, config, new Recorder()).run(folder);
        TrainingConfig otherBatch = TrainingConfig.builder(2).batchSize(3).build();
        IOException e = assertThrows(IOException.class,
                () -> job(TinyModels.random(3), story(), null, otherBatch, new Recorder()).resume(folder));
        assertEquals(folder.toAbsolutePath() + ": the run was made with batch_size 2, not batch_size 3; resume with the run's settings",
                e.getMessage());
        TrainingConfig longer = TrainingConfig.builder(4).batchSize(2).settings(Map.of("--note", "kept")).build();
        e = assertThrows(IOException.class, () -> job(TinyModels.random(3), story(), null, longer, new Recorder()).resume(folder));
        assertTrue(e.getMessage().contains("the run was made with --note (not recorded), not --note kept"), e.getMessage());
    }

    @Test
    void aNonFiniteLossStopsTheRunNamingTheStepAndKeepsTheLastGoodCheckpoint() throws IOException {
        Recorder recorder = new Recorder();
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> job(TinyModels.random(4), story(), null, explodingAtStep3(2), recorder).run(folder));
        assertEquals(4, e.step());
        assertTrue(e.getMessage().startsWith("step 4: the loss is NaN"), e.getMessage());
        assertTrue(e.getMessage().contains(folder.resolve(TrainingJob.CHECKPOINT) + " (after step 2)"), e.getMessage());
        assertEquals(List.of(2), List.copyOf(recorder.checkpoints.keySet()));
        assertArrayEquals(recorder.checkpoints.get(2), Files.readAllBytes(folder.resolve(TrainingJob.CHECKPOINT)));
        assertEquals(3, recorder.steps.size());

        Recorder resumed = new Recorder();
        TrainingConfig calm = TrainingConfig.builder(3).batchSize(2).optimizer(OptimizerSettings.sgd(0, 0)).clipNorm(0).saveEvery(2).build();
        job(TinyModels.random(4), story(), null, calm, resumed).resume(folder);
        assertEquals(3, resumed.steps.getFirst().step());
        assertTrue(Double.isFinite(resumed.steps.getFirst().loss()));
    }

    @Test
    void parametersMadeNonFiniteAreNeverCheckpointed() {
        Recorder recorder = new Recorder();
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> job(TinyModels.random(4), story(), null, explodingAtStep3(1), recorder).run(folder));
        assertEquals(3, e.step());
        assertTrue(e.getMessage().startsWith("step 3: the norm of the updated parameters is"), e.getMessage());
        assertEquals(List.of(1, 2), recorder.checkpoints.keySet().stream().sorted().toList());
    }

    /** SGD whose third step has the largest learning rate a double holds, so that its update overflows. */
    private static TrainingConfig explodingAtStep3(int saveEvery) {
        return TrainingConfig.builder(6).batchSize(2).optimizer(OptimizerSettings.sgd(0, 0)).clipNorm(0).saveEvery(saveEvery)
                .schedule(step -> step == 2 ? Double.MAX_VALUE : 1e-2).build();
    }

    @Test
    void accumulatedMicroBatchesMatchOneBatchWeightedByTokens() throws IOException {
        Dataset uneven = Dataset.of("uneven", List.of(
                new DataRecord.PromptCompletion("a", "b", "u:1"),
                new DataRecord.PromptCompletion("a", "bc", "u:2"),
                new DataRecord.PromptCompletion("a", "bcd", "u:3"),
                new DataRecord.PromptCompletion("a", "bcdefghi", "u:4")), TOKENIZER, SPECIAL, 32);
        TrainingConfig.Builder sgd = TrainingConfig.builder(1).optimizer(OptimizerSettings.sgd(0, 0)).clipNorm(0)
                .schedule(LrSchedule.constant(0.5));
        Llama whole = TinyModels.random(5);
        Recorder wholeRecorder = new Recorder();
        job(whole, uneven, null, sgd.batchSize(4).gradientAccumulation(1).build(), wholeRecorder).run(folder.resolve("a"));
        Llama accumulated = TinyModels.random(5);
        Recorder accumulatedRecorder = new Recorder();
        job(accumulated, uneven, null, sgd.batchSize(2).gradientAccumulation(2).build(), accumulatedRecorder).run(folder.resolve("b"));

        assertEquals(wholeRecorder.steps.getFirst().loss(), accumulatedRecorder.steps.getFirst().loss(), 1e-6);
        assertEquals(wholeRecorder.steps.getFirst().gradNorm(), accumulatedRecorder.steps.getFirst().gradNorm(), 1e-6);
        for (Map.Entry<String, Tensor> parameter : whole.namedParameters().entrySet()) {
            float[] expected = parameter.getValue().toFloatArray();
            float[] actual = accumulated.parameter(parameter.getKey()).toFloatArray();
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-6, parameter.getKey() + "[" + i + "]");
            }
        }
    }

    @Test
    void onlyParametersThatRequireAGradientAreTrainedAndCheckpointed() throws IOException {
        Llama model = TinyModels.random(6);
        Map<String, float[]> before = new HashMap<>();
        model.namedParameters().forEach((name, tensor) -> before.put(name, tensor.toFloatArray()));
        model.freeze();
        List<String> trainable = List.of("model.layers.1.mlp.down_proj.weight", "model.norm.weight");
        trainable.forEach(name -> model.parameter(name).requiresGrad(true));

        job(model, story(), null, TrainingConfig.builder(3).batchSize(2).schedule(LrSchedule.constant(1e-2)).build(), new Recorder()).run(folder);

        model.namedParameters().forEach((name, tensor) -> {
            boolean changed = !Arrays.equals(before.get(name), tensor.toFloatArray());
            assertEquals(trainable.contains(name), changed, name);
        });
        try (var checkpoint = dev.mixtape.engine.io.SafetensorsFile.open(folder.resolve(TrainingJob.CHECKPOINT))) {
            assertEquals(List.of("param.model.layers.1.mlp.down_proj.weight", "param.model.norm.weight"),
                    checkpoint.names().stream().filter(name -> name.startsWith("param.")).sorted().toList());
        }
    }

    @Test
    void aModelWithNothingToTrainIsRefused() {
        Llama frozen = TinyModels.random(7);
        frozen.freeze();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> job(frozen, story(), null, TrainingConfig.builder(1).build(), new Recorder()).run(folder));
        assertTrue(e.getMessage().contains("nothing to train"), e.getMessage());
        assertFalse(Files.exists(folder.resolve(TrainingJob.METRICS)));
    }

    /** A metrics line as text without the step's speed, which differs between runs. */
    private static String withoutTimings(JsonNode line) {
        return ((ObjectNode) line.deepCopy()).without("tokens_per_s").toString();
    }
}
