package dev.mixtape.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.mixtape.engine.Backends;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.tokenizer.Tokenizers;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An OpenAI-compatible HTTP server over a {@link BatchEngine}, for in-process use as for
 * {@code mixtape serve}: {@code GET /v1/models}, {@code POST /v1/completions},
 * {@code POST /v1/chat/completions}, {@code POST /v1/adapters}, {@code DELETE /v1/adapters/NAME},
 * {@code GET /health} (docs/SERVING.md has the details).
 * <pre>{@code
 * try (Server server = Server.start(ServerConfig.builder(Path.of("model")).adapter("pirate", Path.of("pirate")).port(0).build())) {
 *     System.out.println("listening on " + server.port());
 *     ...
 * }
 * }</pre>
 *
 * <p>Built on the JDK's own {@code com.sun.net.httpserver}, each request handled on a virtual thread:
 * no dependency for services that embed it, and a blocking thread per stream (writing each event
 * and flushing it as a chunk) costs next to nothing. Every error is OpenAI's error object with a
 * 4xx status naming the problem, or a one-line 500; no stack trace reaches a client.
 */
public final class Server implements AutoCloseable {
    /** The most bytes of an oversized body read and dropped before its 413; past them the connection closes. */
    private static final long DISCARDED_AT_MOST = 64L << 20;

    private final HttpServer http;
    private final ExecutorService threads;
    private final BatchEngine engine;
    private final ServerConfig config;
    private final ObjectMapper json = new ObjectMapper();
    private final Completions completions;
    private final byte[] keyDigest;
    private final AdapterFolderWatcher watcher;

    private Server(HttpServer http, ExecutorService threads, BatchEngine engine, ChatTemplate chatTemplate, ServerConfig config,
                   AdapterFolderWatcher watcher) {
        this.http = http;
        this.watcher = watcher;
        this.threads = threads;
        this.engine = engine;
        this.config = config;
        this.completions = new Completions(engine, chatTemplate, config.engine().requestTimeout(), json);
        this.keyDigest = config.apiKey() == null ? null : digest(config.apiKey());
    }

    /** Loads the model, its tokenizer and chat template and the configured adapters, and starts serving. */
    public static Server start(ServerConfig config) throws IOException {
        Llama llama = Llama.load(config.model(), Backends.create("vector"), config.weights(), config.nonFinite());
        Tokenizer tokenizer = config.tokenizer() != null ? Tokenizers.load(config.tokenizer()) : Tokenizers.forModel(config.model());
        if (tokenizer.vocabSize() < llama.config().vocabSize()) {
            throw new IOException((config.tokenizer() != null ? config.tokenizer() : config.model()) + ": the tokenizer has "
                    + tokenizer.vocabSize() + " tokens, fewer than the model's vocabulary of " + llama.config().vocabSize());
        }
        ChatTemplate template = ChatTemplate.forModel(config.model());
        BatchEngine engine = new BatchEngine(llama, tokenizer, config.modelName(), config.engine());
        try {
            for (Map.Entry<String, Path> adapter : config.adapters().entrySet()) {
                engine.addAdapter(adapter.getKey(), adapter.getValue());
            }
            for (Map.Entry<String, Path> mole : config.moles().entrySet()) {
                engine.addMole(mole.getKey(), mole.getValue());
            }
            return start(config, engine, template);
        } catch (IOException | RuntimeException e) {
            engine.close();
            throw e;
        }
    }

    /**
     * Serves {@code engine} (its model and adapters as they are; those of {@code config} are not
     * loaded, its adapter folder is watched) with {@code chatTemplate}, on {@code config}'s address
     * and limits. Closing the server closes the engine.
     */
    public static Server start(ServerConfig config, BatchEngine engine, ChatTemplate chatTemplate) throws IOException {
        AdapterFolderWatcher watcher = config.adapterDir() == null ? null
                : new AdapterFolderWatcher(engine, config.adapterDir(), config.adapterScan(), config.log());
        try {
            HttpServer http = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 0);
            ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
            Server server = new Server(http, threads, engine, chatTemplate, config, watcher);
            http.createContext("/", server::handle);
            http.setExecutor(threads);
            http.start();
            return server;
        } catch (IOException | RuntimeException e) {
            if (watcher != null) {
                watcher.close();
            }
            throw e;
        }
    }

    /** The port it listens on (the one chosen when the config asked for 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** The engine behind it. */
    public BatchEngine engine() {
        return engine;
    }

    /** Stops listening, ends running requests (cancelled) and the engine. */
    @Override
    public void close() {
        if (watcher != null) {
            watcher.close();
        }
        http.stop(0);
        engine.close();
        threads.shutdownNow();
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            try {
                route(exchange);
            } catch (ApiException e) {
                sendError(exchange, e);
            } catch (IOException e) {
                return;
            } catch (RuntimeException e) {
                sendError(exchange, ApiException.internal("internal error: " + e.getClass().getSimpleName() + ": " + e.getMessage()));
            }
        } catch (IOException | RuntimeException ignored) {
            // The client went away while the error was being written: nobody is left to tell.
        }
    }

    private void route(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        if (path.equals("/health")) {
            requireMethod(exchange, "GET");
            ObjectNode health = json.createObjectNode();
            health.put("status", "ok");
            health.put("models", engine.models().size());
            health.put("requests", engine.held());
            sendJson(exchange, 200, json.writeValueAsBytes(health));
            return;
        }
        if (!path.startsWith("/v1/")) {
            throw ApiException.notFound(null, "unknown_url", "no such endpoint: " + method + " " + path);
        }
        authorize(exchange);
        switch (path) {
            case "/v1/models" -> {
                requireMethod(exchange, "GET");
                ObjectNode list = json.createObjectNode();
                list.put("object", "list");
                ArrayNode data = list.putArray("data");
                engine.models().forEach(served -> data.add(modelObject(served)));
                sendJson(exchange, 200, json.writeValueAsBytes(list));
            }
            case "/v1/completions" -> {
                requireMethod(exchange, "POST");
                completions.complete(exchange, body(exchange), false);
            }
            case "/v1/chat/completions" -> {
                requireMethod(exchange, "POST");
                completions.complete(exchange, body(exchange), true);
            }
            case "/v1/adapters" -> {
                requireMethod(exchange, "POST");
                addAdapter(exchange, body(exchange));
            }
            default -> {
                if (path.startsWith("/v1/models/")) {
                    requireMethod(exchange, "GET");
                    sendJson(exchange, 200, json.writeValueAsBytes(modelObject(served(path.substring("/v1/models/".length())))));
                } else if (path.startsWith("/v1/adapters/")) {
                    requireMethod(exchange, "DELETE");
                    removeAdapter(exchange, path.substring("/v1/adapters/".length()));
                } else {
                    throw ApiException.notFound(null, "unknown_url", "no such endpoint: " + method + " " + path);
                }
            }
        }
    }

    /** {@code POST /v1/adapters {"name": ..., "path": ..., "type": "lora" | "mole"}}: loads a folder on this server's disk. */
    private void addAdapter(HttpExchange exchange, JsonNode body) throws IOException {
        String name = SamplingRequest.requiredString(body, "name");
        String folder = SamplingRequest.requiredString(body, "path");
        String type = body.path("type").asText("lora");
        ServedModel served;
        try {
            served = switch (type) {
                case "lora" -> engine.addAdapter(name, Path.of(folder));
                case "mole" -> engine.addMole(name, Path.of(folder));
                default -> throw ApiException.invalid("type", "'type' must be \"lora\" or \"mole\", got \"" + type + "\"");
            };
        } catch (IOException | IllegalArgumentException | IllegalStateException e) {
            throw ApiException.invalid("path", "cannot serve '" + name + "' from " + folder + ": " + e.getMessage());
        }
        sendJson(exchange, 201, json.writeValueAsBytes(modelObject(served)));
    }

    private void removeAdapter(HttpExchange exchange, String name) throws IOException {
        ServedModel served = served(name);
        if (served.kind() == ServedModel.Kind.BASE) {
            throw ApiException.invalid("name", "the base model '" + name + "' cannot be removed");
        }
        engine.removeAdapter(name);
        ObjectNode deleted = json.createObjectNode();
        deleted.put("id", name);
        deleted.put("object", "model");
        deleted.put("deleted", true);
        sendJson(exchange, 200, json.writeValueAsBytes(deleted));
    }

    private ServedModel served(String name) {
        try {
            return engine.model(name);
        } catch (UnknownModelException e) {
            throw ApiException.notFound("model", "model_not_found", e.getMessage());
        }
    }

    private ObjectNode modelObject(ServedModel served) {
        ObjectNode model = json.createObjectNode();
        model.put("id", served.name());
        model.put("object", "model");
        model.put("created", 0);
        model.put("owned_by", "mixtape");
        model.put("kind", served.kind().name().toLowerCase());
        return model;
    }

    /** Refuses a request without the API key (when one is set); the digests are compared in constant time. */
    private void authorize(HttpExchange exchange) {
        if (keyDigest == null) {
            return;
        }
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        String given = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : "";
        if (!MessageDigest.isEqual(keyDigest, digest(given))) {
            throw ApiException.unauthorized();
        }
    }

    private static byte[] digest(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    private static void requireMethod(HttpExchange exchange, String method) {
        if (!exchange.getRequestMethod().equalsIgnoreCase(method)) {
            exchange.getResponseHeaders().set("Allow", method);
            throw ApiException.methodNotAllowed(exchange.getRequestMethod(), exchange.getRequestURI().getPath());
        }
    }

    /**
     * The request body as a JSON object, at most {@link ServerConfig#maxBodyBytes} bytes, whatever its Content-Type says (curl's -d sends a form type).
     * An oversized body is read to its end and dropped before the 413 goes out, up to {@link #DISCARDED_AT_MOST} bytes: a client that sends
     * its whole body before it reads the answer (Java's, Python's) would otherwise see a reset connection instead of the 413.
     */
    private JsonNode body(HttpExchange exchange) throws IOException {
        int limit = config.maxBodyBytes();
        byte[] bytes;
        try (InputStream in = exchange.getRequestBody()) {
            String length = exchange.getRequestHeaders().getFirst("Content-Length");
            if (length != null && length.matches("\\d{1,18}") && Long.parseLong(length) > limit) {
                throw refuseOversized(exchange, in, limit);
            }
            bytes = in.readNBytes(limit + 1);
            if (bytes.length > limit) {
                throw refuseOversized(exchange, in, limit);
            }
        }
        JsonNode body;
        try {
            body = json.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw ApiException.invalid(null, "the body is not valid JSON: " + e.getOriginalMessage());
        }
        if (body == null || !body.isObject()) {
            throw ApiException.invalid(null, "the body must be a JSON object");
        }
        return body;
    }

    private static ApiException refuseOversized(HttpExchange exchange, InputStream body, int limit) throws IOException {
        long left = DISCARDED_AT_MOST;
        while (left > 0) {
            long skipped = body.skip(left);
            if (skipped <= 0) {
                if (body.read() < 0) {
                    break;
                }
                skipped = 1;
            }
            left -= skipped;
        }
        if (left == 0) {
            exchange.getResponseHeaders().set("Connection", "close");
        }
        return ApiException.tooLarge(limit);
    }

    private void sendError(HttpExchange exchange, ApiException error) throws IOException {
        if (exchange.getResponseCode() != -1) {
            return;
        }
        if (error.retryAfterSeconds > 0) {
            exchange.getResponseHeaders().set("Retry-After", Integer.toString(error.retryAfterSeconds));
        }
        sendJson(exchange, error.status, json.writeValueAsBytes(errorBody(json, error)));
    }

    /** OpenAI's error object for {@code error}. */
    static ObjectNode errorBody(ObjectMapper json, ApiException error) {
        ObjectNode body = json.createObjectNode();
        ObjectNode inner = body.putObject("error");
        inner.put("message", error.getMessage());
        inner.put("type", error.type);
        inner.put("param", error.param);
        inner.put("code", error.code);
        return body;
    }

    static void sendJson(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
