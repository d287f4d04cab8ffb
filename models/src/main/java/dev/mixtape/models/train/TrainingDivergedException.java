package dev.mixtape.models.train;

import java.io.Serial;

/**
 * A step produced a loss or gradient that is NaN or infinite. The step was not applied, and the run
 * stopped; the last checkpoint on disk is the last good state.
 */
public final class TrainingDivergedException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final int step;

    TrainingDivergedException(int step, String quantity, double value, String checkpoint) {
        super("step " + step + ": the " + quantity + " is " + value + "; training stopped without applying the step"
                + (checkpoint == null ? " (no checkpoint was written yet)" : "; the last good checkpoint is " + checkpoint));
        this.step = step;
    }

    /** The step (from 1) that diverged. */
    public int step() {
        return step;
    }
}
