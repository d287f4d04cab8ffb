package dev.mixtape.serve;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A short soak: for a few seconds, clients stream and disconnect mid-stream, send bad requests, and
 * one swaps an adapter in and out, all at once. Every well-formed request for a served name gets a
 * 200 with a finished completion, every bad one a 4xx, none a 5xx; afterwards no request is held.
 * {@code -Dmixtape.soak.seconds} makes it longer.
 */
class SoakTest {
    private static final String PROMPT = "Leo ran to the market with";

    @TempDir
    Path folder;

    @Test
    void mixedTrafficWithDisconnectsBadRequestsAndAdapterSwapsKeepsServing() throws Exception {
        Path adapter = TinyServing.adapter(folder.resolve("a"), 1);
        long seconds = Long.getLong("mixtape.soak.seconds", 8);
        try (Server server = Server.start(ServerConfig.builder(TinyServing.MODEL).modelName("tiny").port(0)
                .adapter("steady", adapter).build())) {
            Http http = new Http(server.port(), null);
            long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
            ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
            AtomicInteger completed = new AtomicInteger();
            AtomicInteger swaps = new AtomicInteger();
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> running = new ArrayList<>();
                for (int c = 0; c < 6; c++) {
                    int client = c;
                    running.add(clients.submit(() -> {
                        for (int i = 0; System.nanoTime() < end; i++) {
                            try {
                                switch ((client + i) % 4) {
                                    case 0 -> {
                                        Http.Response response = http.post("/v1/completions", Map.of("model", "steady", "prompt", PROMPT,
                                                "max_tokens", 20, "stream", true));
                                        if (response.status() != 200 || !response.events().getLast().equals("[DONE]")) {
                                            problems.add("stream: " + response.status() + " " + response.body());
                                        } else {
                                            completed.incrementAndGet();
                                        }
                                    }
                                    case 1 -> {
                                        HttpRequest request = http.request("/v1/completions").header("Content-Type", "application/json")
                                                .POST(HttpRequest.BodyPublishers.ofString(
                                                        "{\"model\":\"tiny\",\"prompt\":\"The frog is\",\"max_tokens\":40,\"stream\":true}")).build();
                                        HttpResponse<InputStream> response = http.client().send(request, HttpResponse.BodyHandlers.ofInputStream());
                                        response.body().read();
                                        response.body().close();
                                    }
                                    case 2 -> {
                                        Http.Response response = http.post("/v1/completions", "{\"model\": \"tiny\", \"max_tokens\": -3");
                                        if (response.status() != 400) {
                                            problems.add("bad request: " + response.status() + " " + response.body());
                                        }
                                    }
                                    default -> {
                                        Http.Response response = http.post("/v1/chat/completions", Map.of("model", "tiny",
                                                "messages", List.of(Map.of("role", "user", "content", "The frog is")), "max_tokens", 10));
                                        if (response.status() != 200) {
                                            problems.add("chat: " + response.status() + " " + response.body());
                                        } else {
                                            completed.incrementAndGet();
                                        }
                                    }
                                }
                            } catch (Exception e) {
                                problems.add(e.toString());
                            }
                        }
                    }));
                }
                running.add(clients.submit(() -> {
                    while (System.nanoTime() < end) {
                        try {
                            int added = http.post("/v1/adapters", Map.of("name", "swapped", "path", adapter.toString())).status();
                            Http.Response served = http.post("/v1/completions", Map.of("model", "swapped", "prompt", PROMPT, "max_tokens", 5));
                            int removed = http.delete("/v1/adapters/swapped").status();
                            if (added != 201 || served.status() != 200 || removed != 200) {
                                problems.add("swap: " + added + " " + served.status() + " " + removed);
                            }
                            swaps.incrementAndGet();
                        } catch (Exception e) {
                            problems.add(e.toString());
                        }
                    }
                }));
                for (Future<?> client : running) {
                    client.get();
                }
            }
            assertEquals(List.of(), List.copyOf(problems));
            assertTrue(completed.get() > 0 && swaps.get() > 0, completed + " completions, " + swaps + " swaps");
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (server.engine().held() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(0, server.engine().held(), "every request, the abandoned ones too, has left the engine");
            assertEquals(200, http.get("/health").status());
        }
    }
}
