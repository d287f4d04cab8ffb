package dev.mixtape.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixtape.engine.io.AtomicFile;
import dev.mixtape.models.train.TrainingJob;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import javax.imageio.ImageIO;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@value #FILE}: a run folder's {@code metrics.jsonl} drawn when a training command's run completes.
 * The loss panel has the training loss per step as a line and each evaluation as a point at the step
 * it was measured, on a log scale when the losses span a decade or more; a second panel below draws
 * the other per-step figures a kind of training logs (a MoLE's {@code balance_loss} and
 * {@code gate_entropy}). Step ticks are whole numbers.
 */
final class LossCurves {
    /** The plot's file name in the run folder. */
    static final String FILE = "curves.png";

    private static final int WIDTH = 800;
    private static final int HEIGHT = 500;
    /** The figures of a step line that are not extra per-step figures of a kind of training. */
    private static final Set<String> STANDARD = Set.of("step", "loss", "lr", "grad_norm", "tokens", "tokens_per_s");

    private LossCurves() {
    }

    /**
     * The series of a metrics log.
     *
     * @param steps      the steps of the training losses
     * @param losses     the training loss of each step
     * @param evalSteps  the steps the held-out data was evaluated after
     * @param evalLosses the held-out loss of each evaluation
     * @param extras     other per-step figures by name, each as steps and values
     */
    record Series(List<Double> steps, List<Double> losses, List<Double> evalSteps, List<Double> evalLosses,
                  Map<String, List<double[]>> extras) {
    }

    /** Draws the run in {@code runFolder} to its {@value #FILE}, replacing it atomically. */
    static void write(Path runFolder) throws IOException {
        Series series = read(runFolder.resolve(TrainingJob.METRICS));
        List<XYChart> charts = new ArrayList<>(List.of(lossChart(series)));
        if (!series.extras().isEmpty()) {
            charts.add(extrasChart(series));
        }
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT * charts.size(), BufferedImage.TYPE_INT_RGB);
        Graphics2D graphics = image.createGraphics();
        for (int i = 0; i < charts.size(); i++) {
            graphics.drawImage(BitmapEncoder.getBufferedImage(charts.get(i)), 0, i * HEIGHT, null);
        }
        graphics.dispose();
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(image, "png", png);
        AtomicFile.write(runFolder.resolve(FILE), png.toByteArray());
    }

    /** The loss panel: training loss as a line, evaluations as points only, log scale when the losses span a decade. */
    static XYChart lossChart(Series series) {
        XYChart chart = chart("Loss", "cross-entropy");
        if (!series.steps().isEmpty()) {
            chart.addSeries("train", series.steps(), series.losses()).setMarker(SeriesMarkers.NONE);
        }
        if (!series.evalSteps().isEmpty()) {
            XYSeries eval = chart.addSeries("eval", series.evalSteps(), series.evalLosses());
            eval.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            eval.setMarker(SeriesMarkers.CIRCLE);
        }
        List<Double> all = new ArrayList<>(series.losses());
        all.addAll(series.evalLosses());
        chart.getStyler().setYAxisLogarithmic(spansADecade(all));
        return chart;
    }

    /** Whether positive values span a factor of ten or more (a log scale then shows the late steps' changes). */
    static boolean spansADecade(List<Double> values) {
        double min = values.stream().mapToDouble(Double::doubleValue).min().orElse(1);
        double max = values.stream().mapToDouble(Double::doubleValue).max().orElse(1);
        return min > 0 && max >= 10 * min;
    }

    private static XYChart extrasChart(Series series) {
        XYChart chart = chart("Per-step figures", "value");
        series.extras().forEach((name, points) -> {
            double[] x = points.stream().mapToDouble(p -> p[0]).toArray();
            double[] y = points.stream().mapToDouble(p -> p[1]).toArray();
            chart.addSeries(name, x, y).setMarker(SeriesMarkers.NONE);
        });
        return chart;
    }

    private static XYChart chart(String title, String yTitle) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("step").yAxisTitle(yTitle).build();
        chart.getStyler().setXAxisDecimalPattern("#,##0");
        return chart;
    }

    /** The series of a metrics log; a line that does not parse (cut short by a crash) is skipped. */
    static Series read(Path metrics) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Series series = new Series(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new LinkedHashMap<>());
        for (String text : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
            JsonNode line;
            try {
                line = json.readTree(text);
            } catch (JsonProcessingException e) {
                continue;
            }
            if (line == null || !line.isObject() || !line.has("step")) {
                continue;
            }
            double step = line.get("step").asDouble();
            if (line.has("loss")) {
                series.steps().add(step);
                series.losses().add(line.get("loss").asDouble());
                line.properties().forEach(field -> {
                    if (!STANDARD.contains(field.getKey()) && field.getValue().isNumber()) {
                        series.extras().computeIfAbsent(field.getKey(), k -> new ArrayList<>()).add(new double[] {step, field.getValue().asDouble()});
                    }
                });
            } else if (line.has("eval_loss")) {
                series.evalSteps().add(step);
                series.evalLosses().add(line.get("eval_loss").asDouble());
            }
        }
        return series;
    }
}
