package dev.mixtape.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The Python interpreter that runs the baselines ({@link PytorchBaseline}, {@link NumpyBaseline}),
 * and where it came from. {@code bench/run} makes a virtual environment with a current PyTorch and
 * numpy once (plain {@code pip install}, which a machine with local wheel folders serves offline) and
 * passes it as the system property {@code mixtape.bench.python}, its origin as
 * {@code mixtape.bench.python.origin}; without them, {@code MIXTAPE_PYTORCH_PYTHON} or
 * {@code /usr/bin/python3} (Debian's {@code python3-torch}).
 */
final class BenchPython {
    private BenchPython() {
    }

    /** The interpreter's path. */
    static String interpreter() {
        return Optional.ofNullable(System.getProperty("mixtape.bench.python"))
                .or(() -> Optional.ofNullable(System.getenv("MIXTAPE_PYTORCH_PYTHON")))
                .orElse("/usr/bin/python3");
    }

    /** Where the interpreter came from, for the table's notes. */
    static String origin() {
        return System.getProperty("mixtape.bench.python.origin", "the system's Python");
    }

    /** All of {@code stream} as UTF-8 text, the stream closed. */
    static String read(InputStream stream) throws IOException {
        try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
