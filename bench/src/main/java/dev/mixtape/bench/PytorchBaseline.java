package dev.mixtape.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PyTorch as the fine-tuning table's baseline, measured on this machine: runs
 * {@code bench/pytorch/finetune.py} (the same step as {@link FinetuneRun}, written for PyTorch) for one
 * case and reads its JSON result. Available where the Python interpreter ({@code /usr/bin/python3}, or
 * {@code MIXTAPE_PYTORCH_PYTHON}) can import torch, as Debian's {@code python3-torch} package gives it.
 */
final class PytorchBaseline {
    private static final Pattern NUMBER_FIELD = Pattern.compile("\"(\\w+)\": (-?[0-9.]+)");
    private static final Pattern TEXT_FIELD = Pattern.compile("\"(\\w+)\": \"([^\"]*)\"");

    private final String python;
    private final Path script;
    private final String torchVersion;

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
        String python = Optional.ofNullable(System.getenv("MIXTAPE_PYTORCH_PYTHON")).orElse("/usr/bin/python3");
        if (!Files.isRegularFile(script)) {
            System.err.println("PyTorch baseline: " + script + " not found; comparing with the issue's figures only");
            return Optional.empty();
        }
        try {
            Process probe = new ProcessBuilder(python, "-c", "import torch; print(torch.__version__)").start();
            String version = read(probe.getInputStream()).strip();
            String errors = read(probe.getErrorStream());
            if (!probe.waitFor(60, TimeUnit.SECONDS) || probe.exitValue() != 0) {
                System.err.println("PyTorch baseline: " + python + " cannot import torch (apt-get install python3-torch "
                        + "libopenblas0-openmp); comparing with the issue's figures only. " + errors.strip().lines().reduce((a, b) -> b).orElse(""));
                return Optional.empty();
            }
            return Optional.of(new PytorchBaseline(python, script, version));
        } catch (IOException e) {
            System.err.println("PyTorch baseline: cannot run " + python + " (" + e.getMessage() + "); comparing with the issue's figures only");
            return Optional.empty();
        }
    }

    /** torch's version string. */
    String torchVersion() {
        return torchVersion;
    }

    /**
     * Runs one case with two threads; returns the result's fields ({@code tokens_per_s},
     * {@code peak_rss_mb}, {@code median_step_s}, {@code median_cpu_s}, {@code blas}, ...) as text.
     */
    Map<String, String> run(FinetuneShape shape, String adapter, FinetuneSteps steps) throws IOException, InterruptedException {
        List<String> command = List.of(python, script.toString(), "--shape", shape.key(), "--adapter", adapter.toLowerCase(Locale.ROOT),
                "--warmup", Integer.toString(steps.warmup()), "--steps", Integer.toString(steps.measured()), "--threads", "2");
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String output = read(process.getInputStream());
        int status = process.waitFor();
        List<String> lines = output.lines().toList();
        if (status != 0 || lines.isEmpty()) {
            throw new IOException(String.join(" ", command) + " exited with status " + status + " (its error output is above)");
        }
        Map<String, String> fields = new HashMap<>();
        for (Pattern field : List.of(NUMBER_FIELD, TEXT_FIELD)) {
            Matcher matcher = field.matcher(lines.getLast());
            while (matcher.find()) {
                fields.put(matcher.group(1), matcher.group(2));
            }
        }
        if (!fields.containsKey("tokens_per_s") || !fields.containsKey("peak_rss_mb")) {
            throw new IOException(String.join(" ", command) + " printed no result line: " + lines.getLast());
        }
        return fields;
    }

    private static String read(InputStream stream) throws IOException {
        try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
