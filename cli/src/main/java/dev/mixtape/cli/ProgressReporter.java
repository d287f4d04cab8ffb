package dev.mixtape.cli;

import dev.mixtape.models.train.Evaluation;
import dev.mixtape.models.train.StepMetrics;
import dev.mixtape.models.train.TrainingCallback;
import dev.mixtape.models.train.TrainingConfig;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * Shows a run's progress on stderr: on a terminal a progress bar with the loss, the last evaluation
 * and the step it was made at, tokens per second and the time left; otherwise (a pipe, a log file, CI) plain lines, about twenty
 * per run, with the same figures, plus one line per evaluation and checkpoint.
 */
public final class ProgressReporter implements TrainingCallback, AutoCloseable {
    private final String task;
    private final PrintStream log;
    private final boolean terminal;
    private ProgressBar bar;
    private int firstStep;
    private int totalSteps;
    private long startNanos;
    private String lastEvaluation = "";

    /** A reporter whose lines start with {@code task}, printing to {@code log}. */
    public ProgressReporter(String task, PrintStream log) {
        this.task = task;
        this.log = log;
        this.terminal = System.console() != null && System.console().isTerminal();
    }

    @Override
    public void onStart(int firstStep, TrainingConfig config) {
        this.firstStep = firstStep;
        this.totalSteps = config.steps();
        this.startNanos = System.nanoTime();
        if (terminal) {
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(totalSteps).setUnit(" steps", 1).startsFrom(firstStep, Duration.ZERO).build();
        } else {
            log.printf(Locale.ROOT, "%s: steps %d to %d%n", task, firstStep + 1, totalSteps);
        }
    }

    @Override
    public void onStep(StepMetrics metrics) {
        StringBuilder extra = new StringBuilder();
        metrics.extra().forEach((name, value) -> extra.append(String.format(Locale.ROOT, " | %s %.3f", name.replace('_', ' '), value)));
        String figures = String.format(Locale.ROOT, "loss %.4f%s | %.0f tok/s%s", metrics.loss(), extra, metrics.tokensPerSecond(), lastEvaluation);
        if (bar != null) {
            bar.stepTo(metrics.step());
            bar.setExtraMessage(figures);
            return;
        }
        int every = Math.max(1, (totalSteps - firstStep) / 20);
        if (metrics.step() % every == 0 || metrics.step() == totalSteps) {
            log.printf(Locale.ROOT, "%s: step %d/%d %s | lr %.3g | eta %s%n", task, metrics.step(), totalSteps, figures,
                    metrics.learningRate(), eta(metrics.step()));
        }
    }

    @Override
    public void onEvaluation(int step, Evaluation evaluation) {
        lastEvaluation = String.format(Locale.ROOT, " | eval at step %d: loss %.4f", step, evaluation.loss())
                + evaluation.accuracy().stream().mapToObj(a -> String.format(Locale.ROOT, " acc %.3f", a)).findFirst().orElse("");
        if (bar == null) {
            log.printf(Locale.ROOT, "%s: step %d eval loss %.4f perplexity %.3f tokens %d%s%n", task, step, evaluation.loss(),
                    evaluation.perplexity(), evaluation.tokens(),
                    evaluation.accuracy().stream().mapToObj(a -> String.format(Locale.ROOT, " accuracy %.4f", a)).findFirst().orElse(""));
        }
    }

    @Override
    public void onCheckpoint(int step, Path file) {
        if (bar == null) {
            log.printf(Locale.ROOT, "%s: step %d checkpoint %s%n", task, step, file);
        }
    }

    private String eta(int step) {
        double secondsPerStep = (System.nanoTime() - startNanos) / 1e9 / Math.max(1, step - firstStep);
        long seconds = Math.round(secondsPerStep * (totalSteps - step));
        return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
