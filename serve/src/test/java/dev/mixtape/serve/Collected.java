package dev.mixtape.serve;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A {@link TokenListener} that keeps everything it hears, for tests. */
class Collected implements TokenListener {
    private final StringBuilder text = new StringBuilder();
    private final CompletableFuture<Completion> end = new CompletableFuture<>();
    private int pieces;

    @Override
    public synchronized void onText(String piece) {
        text.append(piece);
        pieces++;
    }

    @Override
    public void onFinish(Completion completion) {
        end.complete(completion);
    }

    @Override
    public void onError(RuntimeException error) {
        end.completeExceptionally(error);
    }

    /** Waits for the end (at most a minute) and returns it; throws what the engine reported. */
    Completion await() throws Exception {
        return end.get(1, TimeUnit.MINUTES);
    }

    synchronized String text() {
        return text.toString();
    }

    synchronized int pieces() {
        return pieces;
    }
}
