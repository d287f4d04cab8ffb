package dev.mixtape.models.train;

import java.io.Serial;
import java.nio.file.Path;

/** A run stopped because a {@link StopRequest} asked it to, after writing a checkpoint of the step it had reached. */
public final class TrainingInterruptedException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final int step;

    TrainingInterruptedException(int step, Path checkpoint) {
        super("interrupted at step " + step + "; checkpoint saved in " + checkpoint);
        this.step = step;
    }

    /** The steps the run had taken, which its checkpoint holds. */
    public int step() {
        return step;
    }
}
