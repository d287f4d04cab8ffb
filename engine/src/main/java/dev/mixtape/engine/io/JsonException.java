package dev.mixtape.engine.io;

/** Text that is not valid JSON; the message gives the character offset of the first problem. */
public final class JsonException extends RuntimeException {
    JsonException(String message) {
        super(message);
    }
}
