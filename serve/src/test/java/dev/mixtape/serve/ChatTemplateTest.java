package dev.mixtape.serve;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Chat templates: a model's Jinja {@code chat_template} renders with HF's variables (messages,
 * bos_token, eos_token given as objects too, add_generation_prompt); its {@code raise_exception}
 * refuses messages with the template's words; a model without one gets the documented plain text.
 */
class ChatTemplateTest {
    private static final List<ChatMessage> CHAT = List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi"));

    @TempDir
    Path folder;

    private Path config(String json) throws IOException {
        Files.writeString(folder.resolve("tokenizer_config.json"), json);
        return folder;
    }

    @Test
    void aModelsJinjaTemplateRendersWithHfsVariables() throws IOException {
        ChatTemplate template = ChatTemplate.forModel(config("""
                {"bos_token": {"content": "<s>"}, "eos_token": "</s>",
                 "chat_template": "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>{{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"}
                """));
        assertEquals("<s><|system|>Be brief.</s><|user|>Hi</s><|assistant|>", template.render(CHAT));
        assertTrue(template.includesBos());
    }

    @Test
    void aNamedDefaultTemplateIsTakenAndRaiseExceptionRefusesWithItsWords() throws IOException {
        ChatTemplate template = ChatTemplate.forModel(config("""
                {"chat_template": [{"name": "tool_use", "template": "no"},
                  {"name": "default", "template": "{% if messages[0]['role'] != 'user' %}{{ raise_exception('Conversations must start with the user') }}{% endif %}{% for m in messages %}{{ m['content'] }}\\n{% endfor %}"}]}
                """));
        assertEquals("Hi\n", template.render(List.of(new ChatMessage("user", "Hi"))));
        assertFalse(template.includesBos());
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> template.render(CHAT));
        assertTrue(refused.getMessage().contains("Conversations must start with the user"), refused.getMessage());
    }

    @Test
    void aModelWithoutATemplateGetsThePlainFallback() throws IOException {
        ChatTemplate template = ChatTemplate.forModel(TinyServing.MODEL);
        assertEquals("system: Be brief.\nuser: Hi\nassistant:", template.render(CHAT));
        assertFalse(template.includesBos());
    }

    @Test
    void aTemplateThatIsNeitherStringNorListIsAnErrorNamingTheFile() throws IOException {
        IOException error = assertThrows(IOException.class, () -> ChatTemplate.forModel(config("{\"chat_template\": 3}")));
        assertTrue(error.getMessage().contains("tokenizer_config.json"), error.getMessage());
    }
}
