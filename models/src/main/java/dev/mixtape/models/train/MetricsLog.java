package dev.mixtape.models.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixtape.engine.io.AtomicFile;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * {@code metrics.jsonl}: one JSON object per line and event, flushed as it happens. A step line is
 * {@code {"step", "loss", "lr", "grad_norm", "tokens", "tokens_per_s"}}, an evaluation line
 * {@code {"step", "eval_loss", "eval_perplexity", "eval_tokens"[, "eval_accuracy"]}}. A resumed run
 * first drops the lines after its checkpoint's step (they belonged to the steps it redoes) and any
 * line a crash cut short, so the file always reads as one run.
 */
final class MetricsLog implements AutoCloseable {
    private final ObjectMapper json = new ObjectMapper();
    private final BufferedWriter out;

    private MetricsLog(BufferedWriter out) {
        this.out = out;
    }

    /** A new, empty log (a fresh run). */
    static MetricsLog start(Path file) throws IOException {
        return new MetricsLog(Files.newBufferedWriter(file, StandardCharsets.UTF_8));
    }

    /** The log of a run resumed after {@code step}: earlier lines kept, later ones dropped. */
    static MetricsLog resume(Path file, int step) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> kept = new ArrayList<>();
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                JsonNode node = parse(json, line);
                if (node != null && node.path("step").asInt(Integer.MAX_VALUE) <= step) {
                    kept.add(line);
                }
            }
        }
        AtomicFile.write(file, kept.isEmpty() ? new byte[0] : (String.join("\n", kept) + "\n").getBytes(StandardCharsets.UTF_8));
        return new MetricsLog(Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND));
    }

    /** The JSON objects of a log; a line that does not parse (cut short by a crash) is skipped. */
    static List<JsonNode> read(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> records = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            JsonNode node = parse(json, line);
            if (node != null) {
                records.add(node);
            }
        }
        return records;
    }

    /** The evaluation the log recorded after {@code step} steps (0: before training), if any. */
    static Optional<Evaluation> evaluationAt(Path file, int step) throws IOException {
        for (JsonNode line : read(file)) {
            if (line.has("eval_loss") && line.path("step").asInt(-1) == step) {
                JsonNode accuracy = line.get("eval_accuracy");
                return Optional.of(new Evaluation(line.get("eval_loss").asDouble(), line.path("eval_tokens").asLong(),
                        accuracy == null ? OptionalDouble.empty() : OptionalDouble.of(accuracy.asDouble())));
            }
        }
        return Optional.empty();
    }

    private static JsonNode parse(ObjectMapper json, String line) {
        try {
            JsonNode node = json.readTree(line);
            return node != null && node.isObject() ? node : null;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    void step(StepMetrics metrics) throws IOException {
        ObjectNode line = json.createObjectNode().put("step", metrics.step()).put("loss", metrics.loss()).put("lr", metrics.learningRate())
                .put("grad_norm", metrics.gradNorm()).put("tokens", metrics.tokens()).put("tokens_per_s", metrics.tokensPerSecond());
        metrics.extra().forEach(line::put);
        write(line);
    }

    void evaluation(int step, Evaluation evaluation) throws IOException {
        ObjectNode line = json.createObjectNode().put("step", step).put("eval_loss", evaluation.loss())
                .put("eval_perplexity", evaluation.perplexity()).put("eval_tokens", evaluation.tokens());
        evaluation.accuracy().ifPresent(accuracy -> line.put("eval_accuracy", accuracy));
        write(line);
    }

    private void write(ObjectNode line) throws IOException {
        out.write(json.writeValueAsString(line));
        out.newLine();
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
