package dev.inferj.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.ChatMessage;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The public API: what {@link ChatTemplate#render(List, ChatTemplateOptions)} puts in front of a template. */
class ChatTemplateTest {
    private static final String CHATML = """
            {%- for message in messages %}
            {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}
            {%- endfor %}
            {%- if add_generation_prompt %}
            {{- '<|im_start|>assistant\\n' }}
            {%- endif %}
            """;

    @Test
    void rendersAConversationWithAGenerationPrompt() {
        String prompt = ChatTemplate.parse(CHATML).render(
                List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi!")), ChatTemplateOptions.defaults());
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n", prompt);
    }

    @Test
    void withoutAGenerationPromptTheLastTurnIsClosed() {
        String prompt = ChatTemplate.parse(CHATML).render(List.of(ChatMessage.user("Hi!"), ChatMessage.assistant("Hello.")),
                ChatTemplateOptions.defaults().withAddGenerationPrompt(false));
        assertEquals("<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n", prompt);
    }

    @Test
    void messagesReachTheTemplateShapedAsHuggingFaceShapesThem() {
        ChatMessage call = ChatMessage.assistant("", List.of(new ChatMessage.ToolCall("c1", "get_weather", Map.of("city", "Paris"))));
        ChatMessage answer = ChatMessage.tool("get_weather", "c1", "22 C");
        String json = ChatTemplate.parse("{{ messages|tojson }}").render(List.of(call, answer), ChatTemplateOptions.defaults());
        assertEquals("[{\"role\": \"assistant\", \"content\": \"\", \"tool_calls\": [{\"id\": \"c1\", \"type\": \"function\", "
                + "\"function\": {\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}}]}, "
                + "{\"role\": \"tool\", \"name\": \"get_weather\", \"tool_call_id\": \"c1\", \"content\": \"22 C\"}]", json);
    }

    @Test
    void bosAndEosTokensAreVariables() {
        String out = ChatTemplate.parse("{{ bos_token }}x{{ eos_token }}")
                .render(List.of(), ChatTemplateOptions.defaults().withBosToken("<s>").withEosToken("</s>"));
        assertEquals("<s>x</s>", out);
    }

    @Test
    void toolsAreUndefinedUnlessGiven() {
        ChatTemplate t = ChatTemplate.parse("{{ tools is defined }} {{ tools|length if tools is defined else 0 }}");
        assertEquals("false 0", t.render(List.of(), ChatTemplateOptions.defaults()));
        assertEquals("true 1", t.render(List.of(), ChatTemplateOptions.defaults().withTools(List.of(Map.of("type", "function")))));
    }

    @Test
    void extraVariablesAreVisible() {
        String out = ChatTemplate.parse("{{ 'think' if enable_thinking else 'no' }}")
                .render(List.of(), ChatTemplateOptions.defaults().withExtraVariables(Map.of("enable_thinking", true)));
        assertEquals("think", out);
    }

    @Test
    void strftimeNowUsesTheGivenDate() {
        String out = ChatTemplate.parse("{{ strftime_now('%d %B %Y') }}")
                .render(List.of(), ChatTemplateOptions.defaults().withDate(LocalDate.of(2024, 7, 26)));
        assertEquals("26 July 2024", out);
    }

    @Test
    void aRefusedConversationIsATypedExceptionWithTheTemplatesMessage() {
        ChatTemplate t = ChatTemplate.parse("{% if messages[0].role != 'user' %}{{ raise_exception('Users first!') }}{% endif %}");
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> t.render(List.of(ChatMessage.assistant("x")), ChatTemplateOptions.defaults()));
        assertEquals("Users first!", e.getMessage());
        assertTrue(e.raisedByTemplate());
    }

    @Test
    void valuesOfOtherTypesAreRefused() {
        ChatTemplate t = ChatTemplate.parse("{{ x }}");
        assertThrows(IllegalArgumentException.class, () -> t.render(Map.of("x", new Object()), null));
    }

    @Test
    void rendersAreIndependentAcrossThreads() throws Exception {
        ChatTemplate t = ChatTemplate.parse("{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}");
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                List<ChatMessage> messages = Collections.nCopies(i % 5, ChatMessage.user("x"));
                results.add(pool.submit(() -> t.render(messages, ChatTemplateOptions.defaults())));
            }
            for (int i = 0; i < 64; i++) {
                assertEquals(Integer.toString(i % 5), results.get(i).get());
            }
        }
    }

    @Test
    void theClockDefaultsToNow() {
        String year = ChatTemplate.parse("{{ strftime_now('%Y') }}").render(Map.of(), null);
        assertEquals(Integer.toString(LocalDateTime.now().getYear()), year);
    }
}
