package dev.mixtape.models.train;

import java.nio.file.Path;

/**
 * How a {@link TrainingJob} went.
 *
 * @param runFolder       the folder holding the checkpoint, the metrics and what the callbacks wrote
 *                        (an adapter in PEFT's format, a MoLE folder)
 * @param firstStep       the steps the run had taken before this session: 0 for a new run
 * @param steps           optimizer steps the run has taken in all
 * @param before          the held-out evaluation before the first step, or null without held-out data
 * @param after           the held-out evaluation after the last step, or null without held-out data
 * @param tokensPerSecond training throughput of this session's steps (evaluations not counted); 0 when it took none
 */
public record TrainingResult(Path runFolder, int firstStep, int steps, Evaluation before, Evaluation after, double tokensPerSecond) {

    /** Whether the run had taken all its steps before this session (a resume of a finished run, which only completed it again). */
    public boolean alreadyFinished() {
        return firstStep == steps;
    }
}
