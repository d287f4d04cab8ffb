package dev.mixtape.bench;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A current OpenBLAS as the matmul table's baseline: runs {@code bench/python/matmul.py} (numpy's f32
 * matmul, timed as the table times its cells) for one case and thread count in a process of its own,
 * with {@code OPENBLAS_NUM_THREADS} set and {@code OPENBLAS_CORETYPE} removed from its environment, so
 * that OpenBLAS picks the kernels of this CPU (SkylakeX's on an AVX-512 host). Available where
 * {@link BenchPython}'s interpreter imports numpy and threadpoolctl.
 */
final class NumpyBaseline {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String python;
    private final Path script;
    private String library = "";

    private NumpyBaseline(String python, Path script) {
        this.python = python;
        this.script = script;
    }

    /** The baseline, if the script exists and the interpreter has numpy; otherwise empty, saying why on standard error. */
    static Optional<NumpyBaseline> find(Path script) throws InterruptedException {
        String python = BenchPython.interpreter();
        if (!Files.isRegularFile(script)) {
            System.err.println("OpenBLAS baseline: " + script + " not found; no numpy column");
            return Optional.empty();
        }
        try {
            Process probe = new ProcessBuilder(python, "-c", "import numpy, threadpoolctl").redirectErrorStream(true).start();
            String output = BenchPython.read(probe.getInputStream());
            if (!probe.waitFor(60, TimeUnit.SECONDS) || probe.exitValue() != 0) {
                System.err.println("OpenBLAS baseline: " + python + " cannot import numpy and threadpoolctl; no numpy column. "
                        + output.strip().lines().reduce((a, b) -> b).orElse(""));
                return Optional.empty();
            }
            return Optional.of(new NumpyBaseline(python, script));
        } catch (IOException e) {
            System.err.println("OpenBLAS baseline: cannot run " + python + " (" + e.getMessage() + "); no numpy column");
            return Optional.empty();
        }
    }

    /** GFLOP/s of the best measured round of {@code c} at {@code threads} threads. */
    double gflops(MatmulCase c, int threads) throws IOException, InterruptedException {
        List<String> command = List.of(python, script.toString(), "--threads", Integer.toString(threads), c.id());
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        Map<String, String> environment = builder.environment();
        environment.remove("OPENBLAS_CORETYPE");
        environment.put("OPENBLAS_NUM_THREADS", Integer.toString(threads));
        Process process = builder.start();
        List<String> lines = BenchPython.read(process.getInputStream()).lines().toList();
        int status = process.waitFor();
        if (status != 0 || lines.size() != 2) {
            throw new IOException(String.join(" ", command) + " exited with status " + status + " after " + lines.size()
                    + " lines (its error output is above)");
        }
        try {
            JsonNode info = JSON.readTree(lines.get(0));
            if (info.path("threads").asInt() != threads) {
                throw new IOException("numpy's OpenBLAS runs " + info.path("threads").asInt() + " threads where " + threads + " were asked");
            }
            library = "numpy " + info.path("numpy").asText() + ", " + info.path("library").asText() + " "
                    + info.path("version").asText() + " with its " + info.path("architecture").asText() + " kernels";
            return JSON.readTree(lines.get(1)).path("gflops").asDouble();
        } catch (JacksonException e) {
            throw new IOException(String.join(" ", command) + " printed no result: " + lines, e);
        }
    }

    /** What the last measurement ran on, e.g. {@code numpy 2.4.6, openblas 0.3.31 with its Haswell kernels}. */
    String library() {
        return library;
    }
}
