package dev.mixtape.serve;

/** The engine already holds as many requests as it admits; the caller may retry later. */
public final class QueueFullException extends RuntimeException {
    public QueueFullException(int limit) {
        super("the server is busy: " + limit + " requests are already running or waiting; retry later");
    }
}
