package dev.mixtape.serve;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * OpenAI's official Python client against the server ({@code bench/serve/openai_client.py}): models,
 * completions and chat completions, whole and streamed, and the client's error classes.
 * {@code MIXTAPE_OPENAI_PYTHON} names the interpreter, else {@code python3}; where it cannot import
 * {@code openai} the test is skipped, except under {@code CI=true} ({@code .ci/run} installs the
 * client), where it fails.
 */
class OpenAiClientTest {
    private static final Path SCRIPT = Path.of("..", "bench", "serve", "openai_client.py");

    @TempDir
    Path folder;

    @Test
    void theOfficialPythonClientWorksAgainstTheServer() throws Exception {
        String python = System.getenv().getOrDefault("MIXTAPE_OPENAI_PYTHON", "python3");
        String missing = python + " cannot import openai; set MIXTAPE_OPENAI_PYTHON to one that can";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            assertTrue(imports(python), missing + " (CI must have it)");
        }
        Assumptions.assumeTrue(imports(python), missing);
        Path adapter = TinyServing.adapter(folder.resolve("adapter"), 1);
        try (Server server = Server.start(ServerConfig.builder(TinyServing.MODEL).modelName("tiny").port(0).apiKey("k")
                .adapter("pirate", adapter).build())) {
            Process process = new ProcessBuilder(python, SCRIPT.toString(), "http://127.0.0.1:" + server.port() + "/v1", "k", "tiny", "pirate")
                    .redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            process.waitFor(2, TimeUnit.MINUTES);
            assertEquals(0, process.exitValue(), output);
        }
    }

    private static boolean imports(String python) {
        try {
            Process probe = new ProcessBuilder(python, "-c", "import openai").redirectErrorStream(true).start();
            probe.getInputStream().readAllBytes();
            return probe.waitFor(1, TimeUnit.MINUTES) && probe.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
