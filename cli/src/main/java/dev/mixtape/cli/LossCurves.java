package dev.mixtape.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixtape.engine.io.AtomicFile;
import dev.mixtape.models.train.Trainer;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@value #FILE}: the training and evaluation loss of a run folder's {@code metrics.jsonl} against the
 * step, as a PNG (XChart), drawn when a training command's run completes.
 */
final class LossCurves {
    /** The plot's file name in the run folder. */
    static final String FILE = "curves.png";

    private LossCurves() {
    }

    /** Draws the run in {@code runFolder} to its {@value #FILE}, replacing it atomically. */
    static void write(Path runFolder) throws IOException {
        List<Double> steps = new ArrayList<>();
        List<Double> losses = new ArrayList<>();
        List<Double> evalSteps = new ArrayList<>();
        List<Double> evalLosses = new ArrayList<>();
        for (JsonNode line : read(runFolder.resolve(Trainer.METRICS))) {
            if (line.has("loss")) {
                steps.add(line.get("step").asDouble());
                losses.add(line.get("loss").asDouble());
            } else if (line.has("eval_loss")) {
                evalSteps.add(line.get("step").asDouble());
                evalLosses.add(line.get("eval_loss").asDouble());
            }
        }
        XYChart chart = new XYChartBuilder().width(800).height(500).title("Loss").xAxisTitle("step").yAxisTitle("cross-entropy").build();
        if (!steps.isEmpty()) {
            chart.addSeries("train", steps, losses).setMarker(SeriesMarkers.NONE);
        }
        if (!evalSteps.isEmpty()) {
            chart.addSeries("eval", evalSteps, evalLosses).setMarker(SeriesMarkers.CIRCLE);
        }
        byte[] bytes = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        AtomicFile.write(runFolder.resolve(FILE), bytes);
    }

    /** The JSON objects of a metrics log; a line that does not parse (cut short by a crash) is skipped. */
    private static List<JsonNode> read(Path metrics) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> records = new ArrayList<>();
        for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
            try {
                JsonNode node = json.readTree(line);
                if (node != null && node.isObject()) {
                    records.add(node);
                }
            } catch (JsonProcessingException e) {
                // a line cut short by a crash: the rest of the log still draws
            }
        }
        return records;
    }
}
