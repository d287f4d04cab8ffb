package dev.mixtape.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixtape.models.train.Evaluation;
import dev.mixtape.models.train.TrainingResult;

import java.util.Locale;

/**
 * How a training command ends: the evaluations before and after in words on stderr, then one JSON
 * object on stdout, {@code out}, {@code steps}, {@code eval_before}, {@code eval_after} (each
 * {@code loss}, {@code perplexity} and, for prompt/completion data, {@code accuracy}; null without
 * held-out data), {@code tokens_per_s}, {@code peak_rss_mb}.
 */
final class RunSummary {
    private RunSummary() {
    }

    static void print(String command, TrainingResult result) {
        if (result.before() != null && result.after() != null) {
            System.err.println(command + ": eval before " + describe(result.before()) + "; after " + describe(result.after()));
        }
        ObjectNode summary = new ObjectMapper().createObjectNode().put("out", result.runFolder().toString()).put("steps", result.steps());
        putEvaluation(summary, "eval_before", result.before());
        putEvaluation(summary, "eval_after", result.after());
        summary.put("tokens_per_s", Math.round(result.tokensPerSecond() * 10) / 10.0).put("peak_rss_mb", ProcessMemory.peakRssMb());
        System.out.println(summary);
    }

    static String describe(Evaluation evaluation) {
        return String.format(Locale.ROOT, "loss %.4f", evaluation.loss())
                + evaluation.accuracy().stream().mapToObj(a -> String.format(Locale.ROOT, " accuracy %.3f", a)).findFirst().orElse("");
    }

    private static void putEvaluation(ObjectNode summary, String key, Evaluation evaluation) {
        if (evaluation == null) {
            summary.putNull(key);
            return;
        }
        ObjectNode node = summary.putObject(key).put("loss", evaluation.loss()).put("perplexity", evaluation.perplexity());
        evaluation.accuracy().ifPresent(accuracy -> node.put("accuracy", accuracy));
    }
}
