package dev.mixtape.models.train;

import java.nio.file.Path;

/**
 * How a {@link FineTuning} or {@link GateTraining} went.
 *
 * @param runFolder       the folder holding what was trained (an adapter in PEFT's format, or a MoLE
 *                        folder), the checkpoint and metrics
 * @param steps           optimizer steps the run has taken in all
 * @param before          the held-out evaluation before the first step, or null without held-out data
 * @param after           the held-out evaluation after the last step, or null without held-out data
 * @param tokensPerSecond training throughput of this session's steps (evaluations not counted); 0 when it took none
 * @param alreadyFinished whether the run had taken all its steps before (a resume of a finished run,
 *                        which only wrote what was trained again)
 */
public record TrainingResult(Path runFolder, int steps, Evaluation before, Evaluation after, double tokensPerSecond,
                             boolean alreadyFinished) {
}
