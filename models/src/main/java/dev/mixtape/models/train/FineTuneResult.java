package dev.mixtape.models.train;

import java.nio.file.Path;

/**
 * How a {@link FineTuning} went.
 *
 * @param runFolder       the folder holding the adapter ({@code adapter_config.json},
 *                        {@code adapter_model.safetensors}), the checkpoint, metrics and plot
 * @param steps           optimizer steps the run has taken in all
 * @param before          the held-out evaluation before the first step, or null without held-out data
 * @param after           the held-out evaluation after the last step, or null without held-out data
 * @param tokensPerSecond training throughput of this session's steps (evaluations not counted)
 */
public record FineTuneResult(Path runFolder, int steps, Evaluation before, Evaluation after, double tokensPerSecond) {
}
