package dev.mixtape.models.gguf;

import java.io.IOException;

/** A GGUF file that breaks the format: the message names the file and the key, tensor or offset at fault. */
public final class GgufFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    GgufFormatException(String message) {
        super(message);
    }
}
