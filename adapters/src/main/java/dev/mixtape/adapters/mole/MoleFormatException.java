package dev.mixtape.adapters.mole;

import dev.mixtape.engine.io.FileFormatException;

import java.io.Serial;
import java.nio.file.Path;

/**
 * A MoLE folder that cannot be loaded faithfully: a malformed or unknown setting, an expert folder
 * that is missing or whose files changed since the MoLE was saved, a gate tensor missing, unused or
 * of the wrong shape. The message starts with the file and names the setting, expert or tensor.
 * A {@link FileFormatException}, as PEFT's and safetensors' errors are.
 */
public final class MoleFormatException extends FileFormatException {
    @Serial
    private static final long serialVersionUID = 1L;

    MoleFormatException(Path file, String problem) {
        super(file, problem, null);
    }

    MoleFormatException(Path file, String problem, Throwable cause) {
        super(file, problem, cause);
    }
}
