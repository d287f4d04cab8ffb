package dev.mixtape.models.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mixtape.engine.io.AtomicFile;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Draws the training and evaluation loss of a {@code metrics.jsonl} against the step, as a PNG (XChart). */
final class LossCurves {
    private LossCurves() {
    }

    /** Writes the PNG of {@code metrics} to {@code png}, replacing it atomically. */
    static void write(Path metrics, Path png) throws IOException {
        List<Double> steps = new ArrayList<>();
        List<Double> losses = new ArrayList<>();
        List<Double> evalSteps = new ArrayList<>();
        List<Double> evalLosses = new ArrayList<>();
        for (JsonNode line : MetricsLog.read(metrics)) {
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
        AtomicFile.write(png, bytes);
    }
}
