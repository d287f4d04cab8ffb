package dev.mixtape.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.mixtape.models.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code POST /v1/completions} and {@code POST /v1/chat/completions}: reads the request, submits it
 * to the {@link BatchEngine} and answers as OpenAI's API does, whole or as server-sent events
 * (a chunk per piece of text, a last chunk with the {@code finish_reason}, a usage chunk when
 * {@code stream_options.include_usage} asks, then {@code data: [DONE]}). A client that goes away
 * mid-stream cancels its generation.
 */
final class Completions {
    /** The {@code max_tokens} of a completion that sets none (OpenAI's default). */
    private static final int DEFAULT_COMPLETION_TOKENS = 16;

    private final BatchEngine engine;
    private final ChatTemplate chatTemplate;
    private final Duration timeout;
    private final ObjectMapper json;

    Completions(BatchEngine engine, ChatTemplate chatTemplate, Duration timeout, ObjectMapper json) {
        this.engine = engine;
        this.chatTemplate = chatTemplate;
        this.timeout = timeout;
        this.json = json;
    }

    /** Answers one request; a generation still running when the answer ends (the client went away) is cancelled. */
    void complete(HttpExchange exchange, JsonNode body, boolean chat) throws IOException {
        SamplingRequest params = chat ? SamplingRequest.read(body, "max_tokens", "max_completion_tokens")
                : SamplingRequest.read(body, "max_tokens");
        try {
            engine.model(params.model());
        } catch (UnknownModelException e) {
            throw ApiException.notFound("model", "model_not_found", e.getMessage());
        }
        int[] ids = chat ? chatIds(body) : promptIds(body);
        int context = engine.baseModel().config().maxPositions();
        if (ids.length >= context) {
            throw ApiException.invalid(chat ? "messages" : "prompt", "context_length_exceeded", "the prompt is " + ids.length
                    + " tokens, and the model's context is " + context + " tokens, which must also hold at least one generated token");
        }
        int maxTokens = params.maxTokens() >= 0 ? params.maxTokens() : chat ? context - ids.length : DEFAULT_COMPLETION_TOKENS;
        GenerationRequest request = new GenerationRequest(params.model(), ids, maxTokens, params.sampling(), params.stop(), timeout);
        TokenQueue events = new TokenQueue();
        RunningRequest running;
        try {
            running = engine.submit(request, events);
        } catch (QueueFullException e) {
            throw ApiException.busy(e.getMessage());
        } catch (UnknownModelException e) {
            throw ApiException.notFound("model", "model_not_found", e.getMessage());
        }
        Reply reply = new Reply(chat, "%s-%s".formatted(chat ? "chatcmpl" : "cmpl", UUID.randomUUID().toString().replace("-", "")),
                System.currentTimeMillis() / 1000, params.model());
        try {
            if (params.stream()) {
                stream(exchange, events, reply, params.usageInStream());
            } else {
                whole(exchange, events, reply);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while answering", e);
        } finally {
            running.cancel();
        }
    }

    private void whole(HttpExchange exchange, TokenQueue events, Reply reply) throws IOException, InterruptedException {
        while (true) {
            Object event = events.take();
            if (event instanceof Completion completion) {
                requireEnded(completion);
                ObjectNode response = reply.object(false);
                ObjectNode choice = reply.choice(response);
                if (reply.chat) {
                    choice.putObject("message").put("role", "assistant").put("content", completion.text());
                } else {
                    choice.put("text", completion.text());
                }
                choice.put("finish_reason", completion.finishReason().apiName());
                response.set("usage", usage(completion));
                Server.sendJson(exchange, 200, json.writeValueAsBytes(response));
                return;
            }
            if (event instanceof RuntimeException error) {
                throw failed(error);
            }
        }
    }

    private void stream(HttpExchange exchange, TokenQueue events, Reply reply, boolean includeUsage) throws IOException, InterruptedException {
        Object first = events.take();
        if (first instanceof RuntimeException error) {
            throw failed(error);
        }
        if (first instanceof Completion completion && completion.finishReason() == FinishReason.TIMEOUT) {
            throw ApiException.timeout("the request ran past the server's time limit before it started");
        }
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        if (reply.chat) {
            ObjectNode opening = reply.object(true);
            ObjectNode choice = reply.choice(opening);
            choice.putObject("delta").put("role", "assistant").put("content", "");
            choice.putNull("finish_reason");
            send(out, opening);
        }
        Object event = first;
        while (true) {
            if (event instanceof String text) {
                ObjectNode chunk = reply.object(true);
                ObjectNode choice = reply.choice(chunk);
                if (reply.chat) {
                    choice.putObject("delta").put("content", text);
                } else {
                    choice.put("text", text);
                }
                choice.putNull("finish_reason");
                send(out, chunk);
            } else if (event instanceof Completion completion) {
                if (completion.finishReason() == FinishReason.TIMEOUT) {
                    sendError(out, ApiException.timeout("the request ran past the server's time limit"));
                    return;
                }
                ObjectNode last = reply.object(true);
                ObjectNode choice = reply.choice(last);
                if (reply.chat) {
                    choice.putObject("delta");
                } else {
                    choice.put("text", "");
                }
                choice.put("finish_reason", completion.finishReason().apiName());
                send(out, last);
                if (includeUsage) {
                    ObjectNode usage = reply.object(true);
                    usage.putArray("choices");
                    usage.set("usage", usage(completion));
                    send(out, usage);
                }
                out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                return;
            } else if (event instanceof RuntimeException error) {
                sendError(out, failed(error));
                return;
            }
            event = events.take();
        }
    }

    private void send(OutputStream out, ObjectNode chunk) throws IOException {
        out.write(("data: " + json.writeValueAsString(chunk) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** An error after the stream began: an event holding OpenAI's error object (the status is already 200). */
    private void sendError(OutputStream out, ApiException error) throws IOException {
        out.write(("data: " + json.writeValueAsString(Server.errorBody(json, error)) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void requireEnded(Completion completion) {
        if (completion.finishReason() == FinishReason.TIMEOUT) {
            throw ApiException.timeout("the request ran past the server's time limit");
        }
    }

    /** What an engine error means to the client: its request was at fault (400), or the server (500, one line). */
    private static ApiException failed(RuntimeException error) {
        if (error instanceof IllegalArgumentException) {
            return ApiException.invalid(null, error.getMessage());
        }
        return ApiException.internal("the generation failed: " + error.getClass().getSimpleName() + ": " + error.getMessage());
    }

    private ObjectNode usage(Completion completion) {
        ObjectNode usage = json.createObjectNode();
        usage.put("prompt_tokens", completion.promptTokens());
        usage.put("completion_tokens", completion.completionTokens());
        usage.put("total_tokens", completion.promptTokens() + completion.completionTokens());
        return usage;
    }

    /** The token ids of a completion's {@code prompt}: a string, an array of one string, or an array of token ids. */
    private int[] promptIds(JsonNode body) {
        JsonNode prompt = body.get("prompt");
        Tokenizer tokenizer = engine.tokenizer();
        if (prompt == null || prompt.isNull()) {
            throw ApiException.invalid("prompt", "the request needs 'prompt'");
        }
        if (prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual()) {
            prompt = prompt.get(0);
        }
        if (prompt.isTextual()) {
            int[] ids = tokenizer.encode(prompt.textValue(), true);
            return ids.length > 0 ? ids : new int[] {tokenizer.bosId().orElse(engine.baseModel().config().bosId())};
        }
        if (prompt.isArray() && !prompt.isEmpty()) {
            int vocab = engine.baseModel().config().vocabSize();
            int[] ids = new int[prompt.size()];
            for (int i = 0; i < ids.length; i++) {
                JsonNode id = prompt.get(i);
                if (!id.isIntegralNumber() || !id.canConvertToInt() || id.intValue() < 0 || id.intValue() >= vocab) {
                    throw ApiException.invalid("prompt", "'prompt' as token ids must hold integers in 0.." + (vocab - 1) + ", got " + id);
                }
                ids[i] = id.intValue();
            }
            return ids;
        }
        throw ApiException.invalid("prompt", "'prompt' must be a string, an array of one string or a non-empty array of token ids"
                + " (one prompt per request: n = 1)");
    }

    /** The token ids of a chat's {@code messages}, rendered by the model's chat template. */
    private int[] chatIds(JsonNode body) {
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw ApiException.invalid("messages", "'messages' must be a non-empty array of {role, content}");
        }
        List<ChatMessage> chat = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode message = messages.get(i);
            String field = "messages[" + i + "]";
            if (!message.isObject() || !message.path("role").isTextual()) {
                throw ApiException.invalid(field, field + " must be an object with a string 'role'");
            }
            chat.add(new ChatMessage(message.get("role").textValue(), content(message.get("content"), field)));
        }
        String text;
        try {
            text = chatTemplate.render(chat);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("messages", "the model's chat template refused the messages: " + e.getMessage());
        }
        return engine.tokenizer().encode(text, !chatTemplate.includesBos());
    }

    /** A message's content: a string, or an array of parts of which only {@code {"type": "text"}} ones are understood. */
    private static String content(JsonNode content, String field) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.textValue();
        }
        if (content.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : content) {
                if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiException.invalid(field + ".content", "only text content parts ({\"type\": \"text\", \"text\": ...}) are supported");
                }
                text.append(part.get("text").textValue());
            }
            return text.toString();
        }
        throw ApiException.invalid(field + ".content", "'content' must be a string or an array of text parts");
    }

    /** The parts every response object and chunk of one request share. */
    private final class Reply {
        final boolean chat;
        final String id;
        final long created;
        final String model;

        Reply(boolean chat, String id, long created, String model) {
            this.chat = chat;
            this.id = id;
            this.created = created;
            this.model = model;
        }

        ObjectNode object(boolean chunk) {
            ObjectNode node = json.createObjectNode();
            node.put("id", id);
            node.put("object", chat ? chunk ? "chat.completion.chunk" : "chat.completion" : "text_completion");
            node.put("created", created);
            node.put("model", model);
            return node;
        }

        /** Adds the one choice (index 0) to {@code node}, or returns it if there. */
        ObjectNode choice(ObjectNode node) {
            ArrayNode choices = node.has("choices") ? (ArrayNode) node.get("choices") : node.putArray("choices");
            if (!choices.isEmpty()) {
                return (ObjectNode) choices.get(0);
            }
            ObjectNode choice = choices.addObject();
            choice.put("index", 0);
            choice.putNull("logprobs");
            return choice;
        }
    }
}
