package dev.mixtape.adapters.mole;

import java.io.Serial;
import java.nio.file.Path;

/**
 * A MoLE folder that cannot be loaded faithfully: a malformed or unknown setting, an expert folder
 * that is missing or whose files changed since the MoLE was saved, a gate tensor missing, unused or
 * of the wrong shape. The message starts with the file and names the setting, expert or tensor.
 * Failures of the file system itself arrive as {@link java.io.IOException}.
 */
public final class MoleFormatException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    MoleFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }

    MoleFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
