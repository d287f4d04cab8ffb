package dev.mixtape.engine.io;

import java.io.Serial;
import java.nio.file.Path;

/**
 * A safetensors file that breaks the format, or a request it cannot satisfy (a missing tensor, a
 * dtype that cannot be read as asked, a value that cannot be stored). The message starts with the
 * file and names the tensor and the offending numbers. A {@link FileFormatException}.
 */
public final class SafetensorsException extends FileFormatException {
    @Serial
    private static final long serialVersionUID = 1L;

    SafetensorsException(Path file, String problem) {
        super(file, problem, null);
    }

    SafetensorsException(Path file, String tensor, String problem) {
        super(file, "tensor " + StrictJson.quote(tensor) + ": " + problem, null);
    }
}
