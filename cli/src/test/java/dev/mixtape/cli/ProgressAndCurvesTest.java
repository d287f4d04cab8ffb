package dev.mixtape.cli;

import dev.mixtape.models.train.Evaluation;
import dev.mixtape.models.train.StepMetrics;
import dev.mixtape.models.train.TrainingConfig;
import dev.mixtape.models.train.TrainingJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the progress lines and curves.png show: the last evaluation with its step; evaluations as points; log scale; a MoLE's figures. */
class ProgressAndCurvesTest {
    @TempDir
    Path folder;

    @Test
    void theProgressLineShowsTheLastEvaluationWithItsStep() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ProgressReporter progress = new ProgressReporter("finetune", new PrintStream(bytes, true, StandardCharsets.UTF_8))) {
            progress.onStart(0, TrainingConfig.builder(4).build());
            progress.onEvaluation(0, new Evaluation(4.0, 10, OptionalDouble.of(0.0)));
            progress.onStep(new StepMetrics(1, 3.5, 1e-3, 1, 10, 100, Map.of()));
            progress.onStep(new StepMetrics(2, 3.0, 1e-3, 1, 10, 100, Map.of()));
            progress.onEvaluation(2, new Evaluation(2.5, 10, OptionalDouble.of(0.5)));
            progress.onStep(new StepMetrics(3, 2.0, 1e-3, 1, 10, 100, Map.of()));
        }
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        String step1 = lines.stream().filter(l -> l.contains("step 1/4")).findFirst().orElseThrow();
        String step3 = lines.stream().filter(l -> l.contains("step 3/4")).findFirst().orElseThrow();
        assertTrue(step1.contains("eval at step 0: loss 4.0000 acc 0.000"), step1);
        assertTrue(step3.contains("eval at step 2: loss 2.5000 acc 0.500"), step3);
    }

    @Test
    void evaluationsArePointsWhereMeasuredAndTheLossAxisIsLogarithmicOverADecade() throws IOException {
        Path metrics = folder.resolve(TrainingJob.METRICS);
        Files.writeString(metrics, """
                {"step":0,"eval_loss":6.0,"eval_perplexity":403,"eval_tokens":10}
                {"step":1,"loss":6.2,"lr":0.001,"grad_norm":1,"tokens":10,"tokens_per_s":100}
                {"step":2,"loss":0.5,"lr":0.001,"grad_norm":1,"tokens":10,"tokens_per_s":100}
                {"step":2,"eval_loss":0.4,"eval_perplexity":1.5,"eval_tokens":10}
                {"step":3,"loss":0.3,"lr":0.
                """);
        LossCurves.Series series = LossCurves.read(metrics);
        assertEquals(List.of(1.0, 2.0), series.steps(), "the line cut short is skipped");
        assertEquals(List.of(0.0, 2.0), series.evalSteps());
        XYChart chart = LossCurves.lossChart(series);
        assertEquals(XYSeries.XYSeriesRenderStyle.Scatter, chart.getSeries("eval").getXYSeriesRenderStyle().orElseThrow());
        assertTrue(chart.getStyler().isYAxisLogarithmic());
        assertFalse(LossCurves.spansADecade(List.of(4.0, 3.0, 0.5)));
        assertTrue(LossCurves.spansADecade(List.of(4.0, 0.4)));
        assertTrue(series.extras().isEmpty());

        LossCurves.write(folder);
        BufferedImage image = ImageIO.read(folder.resolve(LossCurves.FILE).toFile());
        assertEquals(500, image.getHeight(), "one panel without per-step extras");
    }

    @Test
    void aMolesBalanceLossAndGateEntropyGetAPanelOfTheirOwn() throws IOException {
        Files.writeString(folder.resolve(TrainingJob.METRICS), """
                {"step":1,"loss":2.0,"lr":0.001,"grad_norm":1,"tokens":10,"tokens_per_s":100,"balance_loss":1.2,"gate_entropy":1.05}
                {"step":2,"loss":1.5,"lr":0.001,"grad_norm":1,"tokens":10,"tokens_per_s":100,"balance_loss":1.1,"gate_entropy":1.01}
                """);
        LossCurves.Series series = LossCurves.read(folder.resolve(TrainingJob.METRICS));
        assertEquals(List.of("balance_loss", "gate_entropy"), List.copyOf(series.extras().keySet()));
        LossCurves.write(folder);
        BufferedImage image = ImageIO.read(folder.resolve(LossCurves.FILE).toFile());
        assertEquals(1000, image.getHeight(), "the loss panel and the per-step figures' panel");
    }
}
