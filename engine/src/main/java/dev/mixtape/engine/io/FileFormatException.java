package dev.mixtape.engine.io;

import java.io.Serial;
import java.nio.file.Path;

/**
 * A file that Mixtape cannot read or write faithfully, whatever its format: the message starts with
 * the file and names the key, tensor or value at fault. Each format's own exception extends it
 * ({@link SafetensorsException}, PEFT's and MoLE's folders), so a caller that only reports the problem
 * catches this one type. Unchecked; failures of the file system itself arrive as
 * {@link java.io.IOException}.
 */
public abstract class FileFormatException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** A problem with {@code file}, caused by {@code cause} (or null). */
    protected FileFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
