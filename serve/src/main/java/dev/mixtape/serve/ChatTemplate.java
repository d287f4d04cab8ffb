package dev.mixtape.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mixtape.engine.io.StrictJson;
import dev.mixtape.models.gguf.GgufFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Turns a chat into the prompt text the model was trained on. A model that ships a
 * {@code chat_template} (in {@code tokenizer_config.json} beside an HF model, or as GGUF's
 * {@code tokenizer.chat_template}) gets it rendered by {@link JinjaChatTemplate}; any other model
 * gets the {@link #plain} fallback.
 */
public interface ChatTemplate {
    /**
     * The prompt for {@code messages}, ending where the assistant's reply begins. Throws
     * {@link IllegalArgumentException} when the template refuses the messages.
     */
    String render(List<ChatMessage> messages);

    /** Whether the rendered text carries its own BOS (so the tokenizer must not add one). */
    boolean includesBos();

    /**
     * The fallback: one line {@code role: content} per message, then {@code assistant:}, encoded
     * with the tokenizer's BOS in front. For example {@code "system: Be brief.\nuser: Hi\nassistant:"}.
     */
    static ChatTemplate plain() {
        return new ChatTemplate() {
            @Override
            public String render(List<ChatMessage> messages) {
                StringBuilder text = new StringBuilder();
                for (ChatMessage message : messages) {
                    text.append(message.role()).append(": ").append(message.content()).append('\n');
                }
                return text.append("assistant:").toString();
            }

            @Override
            public boolean includesBos() {
                return false;
            }
        };
    }

    /** The template of the model at {@code model} (an HF folder, a .gguf, a llama2.c .bin), or {@link #plain}. */
    static ChatTemplate forModel(Path model) throws IOException {
        if (Files.isDirectory(model)) {
            Path config = model.resolve("tokenizer_config.json");
            return Files.isRegularFile(config) ? fromTokenizerConfig(config) : plain();
        }
        if (model.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf")) {
            try (GgufFile gguf = GgufFile.open(model)) {
                String key = "tokenizer.chat_template";
                if (gguf.metadata().has(key)) {
                    return new JinjaChatTemplate(gguf.metadata().getString(key), "", "", model + ": " + key);
                }
            }
        }
        return plain();
    }

    /** The {@code chat_template} of an HF {@code tokenizer_config.json} (a string, or a list of named ones: "default"), or {@link #plain}. */
    static ChatTemplate fromTokenizerConfig(Path file) throws IOException {
        JsonNode config;
        try {
            config = StrictJson.read(file);
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON: " + StrictJson.problem(e), e);
        }
        JsonNode template = config.get("chat_template");
        if (template == null || template.isNull()) {
            return plain();
        }
        String source = null;
        if (template.isTextual()) {
            source = template.textValue();
        } else if (template.isArray()) {
            for (JsonNode named : template) {
                if ("default".equals(named.path("name").asText()) && named.path("template").isTextual()) {
                    source = named.path("template").textValue();
                }
            }
        }
        if (source == null) {
            throw new IOException(file + ": 'chat_template' must be a string or a list holding one named \"default\"");
        }
        return new JinjaChatTemplate(source, specialToken(config, "bos_token"), specialToken(config, "eos_token"), file + ": chat_template");
    }

    /** A special token's text: a string, or an object with its {@code content}. */
    private static String specialToken(JsonNode config, String field) {
        JsonNode token = config.get(field);
        if (token == null || token.isNull()) {
            return "";
        }
        return token.isTextual() ? token.textValue() : token.path("content").asText("");
    }
}
