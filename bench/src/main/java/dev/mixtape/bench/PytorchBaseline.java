package dev.mixtape.bench;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * PyTorch as the fine-tuning table's baseline, measured on this machine: runs
 * {@code bench/python/finetune.py} (the same step as {@link FinetuneRun}, written for PyTorch) for one
 * case and reads its JSON result. Available where {@link BenchPython}'s interpreter can import torch.
 */
final class PytorchBaseline {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String python;
    private final Path script;
    private final String torchVersion;
    private String blas = "BLAS not reported yet";

    private PytorchBaseline(String python, Path script, String torchVersion) {
        this.python = python;
        this.script = script;
        this.torchVersion = torchVersion;
    }

    /**
     * The baseline, if {@code script} exists and the interpreter imports torch; otherwise empty, with
     * the reason on standard error.
     */
    static Optional<PytorchBaseline> find(Path script) throws InterruptedException {
        String python = BenchPython.interpreter();
        if (!Files.isRegularFile(script)) {
            System.err.println("PyTorch baseline: " + script + " not found; no PyTorch rows");
            return Optional.empty();
        }
        try {
            Process probe = new ProcessBuilder(python, "-c", "import torch; print(torch.__version__)").start();
            String version = BenchPython.read(probe.getInputStream()).strip();
            String errors = BenchPython.read(probe.getErrorStream());
            if (!probe.waitFor(60, TimeUnit.SECONDS) || probe.exitValue() != 0) {
                System.err.println("PyTorch baseline: " + python + " cannot import torch; no PyTorch rows. "
                        + errors.strip().lines().reduce((a, b) -> b).orElse(""));
                return Optional.empty();
            }
            return Optional.of(new PytorchBaseline(python, script, version));
        } catch (IOException e) {
            System.err.println("PyTorch baseline: cannot run " + python + " (" + e.getMessage() + "); no PyTorch rows");
            return Optional.empty();
        }
    }

    /** torch's version string. */
    String torchVersion() {
        return torchVersion;
    }

    /** The BLAS the last run's torch multiplied with, as the script reported it. */
    String blas() {
        return blas;
    }

    /**
     * Runs one case with two threads; returns the result's fields ({@code tokens_per_s},
     * {@code peak_rss_mb}, {@code median_step_s}, {@code median_cpu_s}, {@code blas}, ...) as text.
     */
    Map<String, String> run(FinetuneShape shape, String adapter, FinetuneSteps steps) throws IOException, InterruptedException {
        List<String> command = List.of(python, script.toString(), "--shape", shape.key(), "--adapter", adapter.toLowerCase(Locale.ROOT),
                "--warmup", Integer.toString(steps.warmup()), "--steps", Integer.toString(steps.measured()), "--threads", "2");
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String output = BenchPython.read(process.getInputStream());
        int status = process.waitFor();
        List<String> lines = output.lines().toList();
        if (status != 0 || lines.isEmpty()) {
            throw new IOException(String.join(" ", command) + " exited with status " + status + " (its error output is above)");
        }
        Map<String, String> fields = new HashMap<>();
        try {
            JSON.readTree(lines.getLast()).properties().forEach(field -> fields.put(field.getKey(), field.getValue().asText()));
        } catch (JacksonException e) {
            throw new IOException(String.join(" ", command) + " printed no result line: " + lines.getLast());
        }
        if (!fields.containsKey("tokens_per_s") || !fields.containsKey("peak_rss_mb")) {
            throw new IOException(String.join(" ", command) + " printed no result line: " + lines.getLast());
        }
        blas = fields.getOrDefault("blas", "BLAS unknown");
        return fields;
    }
}
