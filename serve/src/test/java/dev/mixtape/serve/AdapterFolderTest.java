package dev.mixtape.serve;

import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.models.generate.Generator;
import dev.mixtape.models.generate.SamplingSettings;
import dev.mixtape.models.llama.Llama;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --adapter-dir} over real HTTP: a folder copied in is served under its name once whole (half
 * a weights file is refused in one line and never served; the rest of it arriving gets it loaded),
 * and answers exactly as the adapter does alone; a damaged folder and one named like the base are
 * refused in one line each while the server goes on serving; a folder removed stops being served
 * and its adapter's matrices leave the model.
 */
class AdapterFolderTest {
    private static final String PROMPT = "Leo ran to the market with";
    private static final Duration SCAN = Duration.ofMillis(100);

    @TempDir
    Path folders;

    @Test
    void foldersComeAndGoWhileServing() throws Exception {
        Path source = TinyServing.adapter(folders.resolve("source"), 1);
        Path watched = Files.createDirectories(folders.resolve("watched"));
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        ServerConfig config = ServerConfig.builder(TinyServing.MODEL).modelName("tiny").port(0).adapterDir(watched, SCAN).log(log::add).build();
        try (Server server = Server.start(config)) {
            Http http = new Http(server.port(), null);

            Path pirate = Files.createDirectories(watched.resolve("pirate"));
            Files.copy(source.resolve(PeftFiles.CONFIG_FILE), pirate.resolve(PeftFiles.CONFIG_FILE));
            byte[] weights = Files.readAllBytes(source.resolve(PeftFiles.WEIGHTS_FILE));
            Files.write(pirate.resolve(PeftFiles.WEIGHTS_FILE), Arrays.copyOf(weights, weights.length / 2));
            awaitTrue(() -> mentions(log, pirate), () -> "the half-copied folder is reported: " + log);
            assertFalse(served(http).contains("pirate"), "half an adapter is not served");

            Files.write(pirate.resolve(PeftFiles.WEIGHTS_FILE), weights);
            awaitTrue(() -> served(http).contains("pirate"), () -> "the whole folder is served: " + log);
            assertEquals(alone(source), completion(http, "pirate"), "the watched adapter answers as the adapter alone");

            Path broken = Files.createDirectories(watched.resolve("broken"));
            Files.writeString(broken.resolve(PeftFiles.CONFIG_FILE), "{not json");
            Files.write(broken.resolve(PeftFiles.WEIGHTS_FILE), weights);
            Path clash = Files.createDirectories(watched.resolve("tiny"));
            Files.copy(source.resolve(PeftFiles.CONFIG_FILE), clash.resolve(PeftFiles.CONFIG_FILE));
            Files.write(clash.resolve(PeftFiles.WEIGHTS_FILE), weights);
            awaitTrue(() -> mentions(log, broken) && mentions(log, clash), () -> "both refusals are reported: " + log);
            assertEquals(List.of("tiny", "pirate"), served(http), "refused folders are not served");
            assertEquals(alone(null), completion(http, "tiny"), "the base is still the base");
            log.forEach(line -> assertFalse(line.contains("\n"), "one line each: " + line));

            Llama tree = server.engine().model("tiny").model();
            assertEquals(1, Adapters.names(tree).size(), "the pirate's matrices: " + Adapters.names(tree));
            for (Path file : List.of(pirate.resolve(PeftFiles.CONFIG_FILE), pirate.resolve(PeftFiles.WEIGHTS_FILE), pirate)) {
                Files.delete(file);
            }
            awaitTrue(() -> !served(http).contains("pirate"), () -> "a removed folder stops being served");
            assertEquals(404, http.post("/v1/completions", Map.of("model", "pirate", "prompt", PROMPT, "max_tokens", 4)).status());
            awaitTrue(() -> Adapters.names(tree).isEmpty(), () -> "the removed adapter's matrices are dropped: " + Adapters.names(tree));
        }
    }

    /** What a single session generates greedily for the prompt with {@code adapter} (null: the base). */
    private static String alone(Path adapter) throws Exception {
        Llama llama = TinyServing.model();
        if (adapter != null) {
            PeftFiles.load(adapter, llama, "default");
        }
        return Generator.generate(llama, TinyServing.tokenizer(), PROMPT, 30, SamplingSettings.greedy(), text -> { }).text();
    }

    private static String completion(Http http, String model) throws Exception {
        Http.Response response = http.post("/v1/completions", Map.of("model", model, "prompt", PROMPT, "max_tokens", 30, "temperature", 0));
        assertEquals(200, response.status(), response.body());
        return response.json().path("choices").get(0).path("text").asText();
    }

    private static List<String> served(Http http) {
        try {
            List<String> names = new ArrayList<>();
            http.get("/v1/models").json().path("data").forEach(model -> names.add(model.path("id").asText()));
            return names;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean mentions(List<String> log, Path folder) {
        synchronized (log) {
            return log.stream().anyMatch(line -> line.startsWith(folder + ": not served"));
        }
    }

    private static void awaitTrue(BooleanSupplier condition, Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what);
            Thread.sleep(20);
        }
    }
}
