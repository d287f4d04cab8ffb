package dev.mixtape.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.models.generate.Generator;
import dev.mixtape.models.generate.SamplingSettings;
import dev.mixtape.models.llama.Llama;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server over real HTTP on a free port: every endpoint, streaming, auth, the errors and limits,
 * and adapters added and removed while serving. Two adapters requested at once each get exactly
 * what {@code ./mixtape generate --adapter DIR --temperature 0} prints for them.
 */
class ServerTest {
    private static final String KEY = "sk-test-key";
    private static final String PROMPT = "Leo ran to the market with";

    @TempDir
    static Path folders;
    static Path first;
    static Path second;
    static Server server;
    static Http http;

    @BeforeAll
    static void start() throws Exception {
        first = TinyServing.adapter(folders.resolve("first"), 1);
        second = TinyServing.adapter(folders.resolve("second"), 2);
        Path mole = TinyServing.mole(folders.resolve("mole"), 3);
        server = Server.start(ServerConfig.builder(TinyServing.MODEL).modelName("tiny").port(0).apiKey(KEY)
                .adapter("first", first).adapter("second", second).mole("mole", mole).build());
        http = new Http(server.port(), KEY);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** What {@code ./mixtape generate --model M --adapter DIR --prompt P --temperature 0 --steps N} generates after the prompt. */
    private static String generated(Path adapter, String prompt, int steps) throws Exception {
        Llama llama = TinyServing.model();
        if (adapter != null) {
            Adapters.mergeAndUnload(llama, PeftFiles.load(adapter, llama, "default").name());
        }
        return Generator.generate(llama, TinyServing.tokenizer(), prompt, steps, SamplingSettings.greedy(), text -> { }).text();
    }

    private static Map<String, Object> completion(String model, boolean stream) {
        return Map.of("model", model, "prompt", PROMPT, "max_tokens", 40, "temperature", 0, "stream", stream);
    }

    @Test
    void healthAnswersWithoutAKeyAndEverythingUnderV1NeedsIt() throws Exception {
        Http anonymous = new Http(server.port(), null);
        assertEquals(200, anonymous.get("/health").status());
        assertEquals("ok", anonymous.get("/health").json().path("status").asText());
        Http.Response refused = anonymous.get("/v1/models");
        assertEquals(401, refused.status());
        assertEquals("invalid_api_key", refused.json().path("error").path("code").asText());
        assertEquals(401, new Http(server.port(), KEY + "x").post("/v1/completions", completion("tiny", false)).status());
        assertEquals(401, new Http(server.port(), "").get("/v1/models").status());
    }

    @Test
    void modelsListTheBaseAndEveryAdapter() throws Exception {
        JsonNode list = http.get("/v1/models").json();
        assertEquals("list", list.path("object").asText());
        List<String> ids = new ArrayList<>();
        list.path("data").forEach(model -> ids.add(model.path("id").asText()));
        assertTrue(ids.containsAll(List.of("tiny", "first", "second", "mole")), ids.toString());
        assertEquals("model", http.get("/v1/models/first").json().path("object").asText());
        assertEquals(404, http.get("/v1/models/nope").status());
    }

    /**
     * Two adapters requested at the same moment (so that they share decoding steps), one streamed and
     * one not: each text is what the generate command gives with that adapter merged, and the two
     * differ from each other and from the base.
     */
    @Test
    void twoAdaptersInOneBatchEachGiveWhatGenerateGives() throws Exception {
        String expectedFirst = generated(first, PROMPT, 40);
        String expectedSecond = generated(second, PROMPT, 40);
        String expectedBase = generated(null, PROMPT, 40);
        assertNotEquals(expectedFirst, expectedSecond);
        assertNotEquals(expectedFirst, expectedBase);
        CompletableFuture<Http.Response> streamed = CompletableFuture.supplyAsync(() -> call(() -> http.post("/v1/completions", completion("first", true))));
        CompletableFuture<Http.Response> whole = CompletableFuture.supplyAsync(() -> call(() -> http.post("/v1/completions", completion("second", false))));
        Http.Response base = http.post("/v1/completions", completion("tiny", false));
        assertEquals(expectedFirst, streamedText(streamed.get()));
        JsonNode second = whole.get().json();
        assertEquals(expectedSecond, second.path("choices").get(0).path("text").asText());
        assertEquals(expectedBase, base.json().path("choices").get(0).path("text").asText());
    }

    /** The text of a completion stream, checked to be well formed: chunks of one id, one finish_reason at the end, then [DONE]. */
    private static String streamedText(Http.Response response) throws Exception {
        assertEquals(200, response.status(), response.body());
        assertTrue(response.raw().headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> events = response.events();
        assertEquals("[DONE]", events.getLast());
        StringBuilder text = new StringBuilder();
        String id = null;
        String finish = null;
        for (String event : events.subList(0, events.size() - 1)) {
            JsonNode chunk = new com.fasterxml.jackson.databind.ObjectMapper().readTree(event);
            assertEquals("text_completion", chunk.path("object").asText());
            id = id == null ? chunk.path("id").asText() : id;
            assertEquals(id, chunk.path("id").asText());
            JsonNode choice = chunk.path("choices").get(0);
            assertEquals(null, finish, "nothing after the finish_reason");
            text.append(choice.path("text").asText());
            if (!choice.path("finish_reason").isNull()) {
                finish = choice.path("finish_reason").asText();
            }
        }
        assertTrue(List.of("stop", "length").contains(finish), "finish_reason " + finish);
        return text.toString();
    }

    @Test
    void aCompletionCountsItsTokensAndSaysWhyItEnded() throws Exception {
        JsonNode response = http.post("/v1/completions", Map.of("model", "tiny", "prompt", PROMPT, "max_tokens", 2, "temperature", 0)).json();
        assertEquals("text_completion", response.path("object").asText());
        assertEquals("length", response.path("choices").get(0).path("finish_reason").asText());
        JsonNode usage = response.path("usage");
        assertEquals(2, usage.path("completion_tokens").asInt());
        int promptTokens = TinyServing.tokenizer().encode(PROMPT, true).length;
        assertEquals(promptTokens, usage.path("prompt_tokens").asInt());
        assertEquals(promptTokens + 2, usage.path("total_tokens").asInt());
    }

    @Test
    void aSeededSampleIsRepeatableAndAStopSequenceEndsIt() throws Exception {
        Map<String, Object> sampled = Map.of("model", "first", "prompt", PROMPT, "max_tokens", 20, "temperature", 1.0, "top_p", 0.9, "seed", 7);
        String once = http.post("/v1/completions", sampled).json().path("choices").get(0).path("text").asText();
        String again = http.post("/v1/completions", sampled).json().path("choices").get(0).path("text").asText();
        assertEquals(once, again);
        String full = generated(null, PROMPT, 40);
        String stop = full.substring(2, 4);
        JsonNode stopped = http.post("/v1/completions", Map.of("model", "tiny", "prompt", PROMPT, "max_tokens", 40, "temperature", 0,
                "stop", List.of(stop))).json().path("choices").get(0);
        assertEquals(full.substring(0, full.indexOf(stop)), stopped.path("text").asText());
        assertEquals("stop", stopped.path("finish_reason").asText());
    }

    @Test
    void chatCompletionsAnswerWholeAndStreamedWithTheUsageChunk() throws Exception {
        Map<String, Object> chat = Map.of("model", "mole", "messages", List.of(Map.of("role", "user", "content", "The frog is")),
                "max_tokens", 10, "temperature", 0);
        JsonNode whole = http.post("/v1/chat/completions", chat).json();
        assertEquals("chat.completion", whole.path("object").asText());
        JsonNode message = whole.path("choices").get(0).path("message");
        assertEquals("assistant", message.path("role").asText());
        String expected = message.path("content").asText();

        Map<String, Object> streamed = new java.util.HashMap<>(chat);
        streamed.put("stream", true);
        streamed.put("stream_options", Map.of("include_usage", true));
        Http.Response response = http.post("/v1/chat/completions", streamed);
        List<String> events = response.events();
        assertEquals("[DONE]", events.getLast());
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        JsonNode opening = json.readTree(events.getFirst());
        assertEquals("chat.completion.chunk", opening.path("object").asText());
        assertEquals("assistant", opening.path("choices").get(0).path("delta").path("role").asText());
        StringBuilder text = new StringBuilder();
        for (String event : events.subList(0, events.size() - 2)) {
            text.append(json.readTree(event).path("choices").get(0).path("delta").path("content").asText(""));
        }
        assertEquals(expected, text.toString());
        JsonNode usage = json.readTree(events.get(events.size() - 2));
        assertTrue(usage.path("choices").isEmpty());
        assertEquals(whole.path("usage"), usage.path("usage"));
    }

    /** Bad requests get OpenAI's error object; an oversized body gets its 413 every time, never a connection reset mid-upload. */
    @Test
    void badRequestsGetA4xxWithOpenAisErrorObject() throws Exception {
        assertError(http.post("/v1/completions", "{not json"), 400, null);
        assertError(http.post("/v1/completions", "[1, 2]"), 400, null);
        assertError(http.post("/v1/completions", Map.of("prompt", "x")), 400, "model");
        assertError(http.post("/v1/completions", Map.of("model", "nope", "prompt", "x")), 404, "model");
        assertError(http.post("/v1/completions", Map.of("model", "tiny", "prompt", "x", "max_tokens", -1)), 400, "max_tokens");
        assertError(http.post("/v1/completions", Map.of("model", "tiny", "prompt", "x", "max_tokens", 1.5)), 400, "max_tokens");
        assertError(http.post("/v1/completions", Map.of("model", "tiny", "prompt", "x", "n", 2)), 400, "n");
        assertError(http.post("/v1/completions", Map.of("model", "tiny", "prompt", "x", "temperature", "hot")), 400, "temperature");
        assertError(http.post("/v1/completions", Map.of("model", "tiny", "prompt", "x", "top_p", 0)), 400, "top_p");
        assertError(http.post("/v1/completions", Map.of("model", "tiny", "prompt", "x", "stop", List.of(1))), 400, "stop");
        assertError(http.post("/v1/completions", Map.of("model", "tiny", "prompt", List.of(-1))), 400, "prompt");
        assertError(http.post("/v1/chat/completions", Map.of("model", "tiny", "messages", List.of())), 400, "messages");
        assertError(http.post("/v1/chat/completions", Map.of("model", "tiny", "messages", List.of(Map.of("content", "x")))), 400, "messages[0]");
        Http.Response overlong = http.post("/v1/completions", Map.of("model", "tiny", "prompt", "the cat sat ".repeat(40)));
        assertError(overlong, 400, "prompt");
        assertEquals("context_length_exceeded", overlong.json().path("error").path("code").asText());
        String oversized = "{\"model\": \"tiny\", \"prompt\": \"" + "x".repeat(2 << 20) + "\"}";
        for (int i = 0; i < 50; i++) {
            assertError(http.post("/v1/completions", oversized), 413, null);
        }
        assertError(http.get("/v1/nothing"), 404, null);
        assertError(http.get("/v1/completions"), 405, null);
        assertEquals(200, http.get("/health").status(), "still serving");
    }

    private static void assertError(Http.Response response, int status, String param) throws Exception {
        assertEquals(status, response.status(), response.body());
        JsonNode error = response.json().path("error");
        assertFalse(error.path("message").asText().isEmpty(), response.body());
        assertFalse(error.path("type").asText().isEmpty(), response.body());
        assertFalse(response.body().contains("\tat "), "no stack trace: " + response.body());
        if (param != null) {
            assertEquals(param, error.path("param").asText(), response.body());
        }
    }

    /** An adapter added while serving is listed and served, a removed one is refused; the base cannot be removed. */
    @Test
    void adaptersAreAddedAndRemovedWhileServing() throws Exception {
        Http.Response added = http.post("/v1/adapters", Map.of("name", "third", "path", second.toString()));
        assertEquals(201, added.status(), added.body());
        assertEquals("third", added.json().path("id").asText());
        assertEquals(generated(second, PROMPT, 40),
                http.post("/v1/completions", completion("third", false)).json().path("choices").get(0).path("text").asText());
        assertError(http.post("/v1/adapters", Map.of("name", "third", "path", second.toString())), 400, "path");
        assertError(http.post("/v1/adapters", Map.of("name", "fourth", "path", folders.resolve("missing").toString())), 400, "path");
        assertEquals(200, http.delete("/v1/adapters/third").status());
        assertError(http.post("/v1/completions", completion("third", false)), 404, "model");
        assertError(http.delete("/v1/adapters/third"), 404, "model");
        assertError(http.delete("/v1/adapters/tiny"), 400, "name");
    }

    /** A full server answers 429 with Retry-After, and a request past its time limit 504; both keep serving. */
    @Test
    void aFullServerSays429AndASlowRequest504() throws Exception {
        BatchEngine engine = new BatchEngine(TinyServing.model(), TinyServing.tokenizer(), "tiny", new EngineConfig(1, 1, 4, null));
        try (Server full = Server.start(ServerConfig.builder(TinyServing.MODEL).port(0).build(), engine, ChatTemplate.plain())) {
            CountDownLatch release = new CountDownLatch(1);
            Collected blocked = new Collected() {
                @Override
                public synchronized void onText(String piece) {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            engine.submit(new GenerationRequest("tiny", TinyServing.tokenizer().encode(PROMPT, true), 5, SamplingSettings.greedy(),
                    List.of(), null), blocked);
            Http.Response busy = new Http(full.port(), null).post("/v1/completions", completion("tiny", false));
            assertError(busy, 429, null);
            assertEquals("1", busy.raw().headers().firstValue("Retry-After").orElse(""));
            release.countDown();
            blocked.await();
        }
        try (Server slow = Server.start(ServerConfig.builder(TinyServing.MODEL).modelName("tiny").port(0).limits(4, 4, Duration.ofNanos(1)).build())) {
            assertError(new Http(slow.port(), null).post("/v1/completions", completion("tiny", false)), 504, null);
        }
    }

    @Test
    void aClientThatLeavesMidStreamCancelsItsGeneration() throws Exception {
        HttpRequest request = http.request("/v1/completions").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"tiny\",\"prompt\":\"The frog is\",\"max_tokens\":50,\"stream\":true}"))
                .build();
        var response = http.client().send(request, java.net.http.HttpResponse.BodyHandlers.ofInputStream());
        response.body().read();
        response.body().close();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (server.engine().held() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, server.engine().held());
        assertEquals(200, http.get("/health").status());
        assertTrue(URI.create("http://127.0.0.1:" + server.port()).getPort() > 0);
    }

    private interface Call {
        Http.Response run() throws Exception;
    }

    private static Http.Response call(Call call) {
        try {
            return call.run();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
