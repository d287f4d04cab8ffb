package dev.mixtape.serve;

/** A request submitted to the {@link BatchEngine}: it can be cancelled while it runs. */
public interface RunningRequest {
    /** Asks the engine to end it before its next step (the listener then hears {@link FinishReason#CANCELLED}). */
    void cancel();

    /** Whether it has ended, for whatever reason. */
    boolean isDone();
}
