package dev.mixtape.models.train;

/**
 * A request, from any thread (a signal handler, a user interface), that a {@link Trainer} stop: at the
 * end of the step it is in, it writes a checkpoint and throws a {@link TrainingInterruptedException}.
 */
public final class StopRequest {
    private volatile boolean requested;

    /** Asks the run to stop after its current step. */
    public void request() {
        requested = true;
    }

    /** Whether a stop was asked for. */
    public boolean isRequested() {
        return requested;
    }
}
