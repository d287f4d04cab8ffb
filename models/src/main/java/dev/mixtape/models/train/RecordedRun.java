package dev.mixtape.models.train;

import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Runs a {@link Trainer} (fresh or resumed) and sums it up as a {@link TrainingResult}: the held-out
 * evaluations before the first step and after the last (read back from the metrics where this session
 * did not make them: a resumed run, a finished one),
 * and the throughput of the steps this session ran, for {@link TrainingJob}.
 */
final class RecordedRun implements TrainingListener {
    private final TrainingListener downstream;
    private Evaluation before;
    private Evaluation after;
    private long tokens;
    private double seconds;

    private RecordedRun(TrainingListener downstream) {
        this.downstream = downstream;
    }

    static TrainingResult execute(Llama model, Tokenizer tokenizer, Dataset train, Dataset eval, TrainingConfig config, Path runFolder,
                                  TrainingListener listener, TrainingHooks hooks, StopRequest stop, StepGradients stepGradients,
                                  boolean resume) throws IOException {
        RecordedRun recorder = new RecordedRun(listener);
        Trainer trainer = new Trainer(model, tokenizer, train, eval, config, runFolder, recorder, hooks, stop, stepGradients);
        boolean alreadyFinished = false;
        if (resume) {
            alreadyFinished = trainer.resume() == config.steps();
        } else {
            trainer.train();
        }
        Path metrics = runFolder.resolve(Trainer.METRICS);
        Evaluation before = recorder.before;
        if (before == null && eval != null) {
            before = MetricsLog.evaluationAt(metrics, 0).orElse(null);
        }
        Evaluation after = recorder.after;
        if (after == null && eval != null) {
            after = MetricsLog.evaluationAt(metrics, config.steps()).orElse(null);
        }
        return new TrainingResult(runFolder, config.steps(), before, after, recorder.seconds > 0 ? recorder.tokens / recorder.seconds : 0,
                alreadyFinished);
    }

    @Override
    public void onStart(int firstStep, int totalSteps) {
        downstream.onStart(firstStep, totalSteps);
    }

    @Override
    public void onStep(StepMetrics metrics) {
        tokens += metrics.tokens();
        seconds += metrics.tokens() / metrics.tokensPerSecond();
        downstream.onStep(metrics);
    }

    @Override
    public void onEvaluation(int step, Evaluation evaluation) {
        if (step == 0) {
            before = evaluation;
        }
        after = evaluation;
        downstream.onEvaluation(step, evaluation);
    }

    @Override
    public void onCheckpoint(int step, Path file) {
        downstream.onCheckpoint(step, file);
    }
}
