package dev.mixtape.engine.io;

import java.io.Serial;

/** Text that is not valid JSON; the message gives the character offset of the first problem. */
public final class JsonException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    JsonException(String message) {
        super(message);
    }
}
