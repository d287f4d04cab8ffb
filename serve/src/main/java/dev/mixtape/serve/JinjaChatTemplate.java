package dev.mixtape.serve;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's own Jinja chat template, rendered by HubSpot's Jinjava with the variables Hugging Face's
 * {@code apply_chat_template} gives it: {@code messages} (each with {@code role} and
 * {@code content}), {@code bos_token}, {@code eos_token}, {@code add_generation_prompt} (true), and
 * the function {@code raise_exception(message)}, whose message becomes the error.
 */
final class JinjaChatTemplate implements ChatTemplate {
    private final Jinjava jinjava;
    private final String template;
    private final String bosToken;
    private final String eosToken;
    private final String origin;

    /** {@code origin} names where the template came from, for error messages. */
    JinjaChatTemplate(String template, String bosToken, String eosToken, String origin) {
        this.template = template;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.origin = origin;
        jinjava = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(false).withLstripBlocks(false).build());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", JinjaChatTemplate.class,
                "raiseException", String.class));
    }

    /** The template's {@code raise_exception}: refuses the messages with the template's own words. */
    public static String raiseException(String message) {
        throw new IllegalArgumentException(message);
    }

    @Override
    public String render(List<ChatMessage> messages) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (ChatMessage message : messages) {
            Map<String, Object> entry = new HashMap<>();
            entry.put("role", message.role());
            entry.put("content", message.content());
            list.add(entry);
        }
        Map<String, Object> variables = new HashMap<>();
        variables.put("messages", list);
        variables.put("bos_token", bosToken);
        variables.put("eos_token", eosToken);
        variables.put("add_generation_prompt", true);
        RenderResult result = jinjava.renderForResult(template, variables);
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new IllegalArgumentException(origin + ": " + templatesOwnWords(error));
            }
        }
        return result.getOutput();
    }

    /** The message a {@code raise_exception} gave, found among the error's causes, else Jinjava's message. */
    private static String templatesOwnWords(TemplateError error) {
        for (Throwable cause = error.getException(); cause != null; cause = cause.getCause()) {
            if (cause instanceof IllegalArgumentException refused) {
                return refused.getMessage();
            }
        }
        return error.getMessage();
    }

    @Override
    public boolean includesBos() {
        return !bosToken.isEmpty() && template.contains("bos_token");
    }
}
