package dev.mixtape.adapters;

import dev.mixtape.engine.io.FileFormatException;

import java.io.Serial;
import java.nio.file.Path;

/**
 * A PEFT adapter folder that Mixtape cannot load faithfully: a config key whose meaning is not
 * implemented (DoRA, a trained bias, ...), a malformed value, a tensor missing, unused or of the wrong
 * shape. The message starts with the file and names the key or tensor and the offending values.
 * A {@link FileFormatException}, as the engine's safetensors errors are.
 */
public final class PeftFormatException extends FileFormatException {
    @Serial
    private static final long serialVersionUID = 1L;

    PeftFormatException(Path file, String problem) {
        super(file, problem, null);
    }

    PeftFormatException(Path file, String problem, Throwable cause) {
        super(file, problem, cause);
    }
}
