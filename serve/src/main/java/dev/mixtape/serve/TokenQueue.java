package dev.mixtape.serve;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Hands a generation's events from the engine's thread to the thread answering the request, so
 * that a slow client never holds up the engine: texts ({@link String}), then one {@link Completion}
 * or {@link RuntimeException}.
 */
final class TokenQueue implements TokenListener {
    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();

    @Override
    public void onText(String text) {
        events.add(text);
    }

    @Override
    public void onFinish(Completion completion) {
        events.add(completion);
    }

    @Override
    public void onError(RuntimeException error) {
        events.add(error);
    }

    /** The next event, waiting for it. */
    Object take() throws InterruptedException {
        return events.take();
    }
}
