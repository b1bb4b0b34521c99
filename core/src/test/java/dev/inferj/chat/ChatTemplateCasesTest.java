package dev.inferj.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.ChatMessage;
import dev.inferj.Json;
import dev.inferj.SharedData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every conversation of every real chat template in {@code ../shared/chat/cases} renders exactly
 * what Hugging Face's Jinja engine rendered, or fails with exactly the message the template
 * passed to {@code raise_exception}. The context is the one the references were made with:
 * messages, add_generation_prompt, bos_token, eos_token, tools in the tool-call case, and a clock
 * frozen at 26 July 2024. Each case is rendered twice: from the JSON messages as they are, and
 * from the same messages as {@link ChatMessage}s.
 */
class ChatTemplateCasesTest {
    private static final LocalDateTime FROZEN_CLOCK = LocalDateTime.of(2024, 7, 26, 0, 0);

    @TestFactory
    Stream<DynamicNode> everyCaseRendersWhatHuggingFaceRendered() throws IOException {
        Path dir = SharedData.root().resolve("chat").resolve("cases");
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        assertFalse(files.isEmpty(), "no chat template cases in " + dir);
        return files.stream().map(ChatTemplateCasesTest::templateTests);
    }

    @SuppressWarnings("unchecked")
    private static DynamicNode templateTests(Path file) {
        Map<String, Object> spec = (Map<String, Object>) Json.parse(file);
        String name = (String) spec.get("name");
        String source = (String) spec.get("template");
        List<DynamicTest> tests = new ArrayList<>();
        for (Object c : (List<Object>) spec.get("cases")) {
            Map<String, Object> testCase = (Map<String, Object>) c;
            tests.add(DynamicTest.dynamicTest((String) testCase.get("name"),
                    () -> check(source, (String) spec.get("bos_token"), (String) spec.get("eos_token"), testCase)));
        }
        return DynamicContainer.dynamicContainer(name, tests);
    }

    @SuppressWarnings("unchecked")
    private static void check(String source, String bos, String eos, Map<String, Object> testCase) {
        ChatTemplate template = ChatTemplate.parse(source);
        List<Object> messages = (List<Object>) testCase.get("messages");
        boolean generationPrompt = (Boolean) testCase.get("add_generation_prompt");

        Map<String, Object> variables = new LinkedHashMap<>();
        variables.put("messages", messages);
        variables.put("add_generation_prompt", generationPrompt);
        variables.put("bos_token", bos);
        variables.put("eos_token", eos);
        if (testCase.containsKey("tools")) {
            variables.put("tools", testCase.get("tools"));
        }
        ChatTemplateOptions options = ChatTemplateOptions.defaults()
                .withAddGenerationPrompt(generationPrompt)
                .withBosToken(bos)
                .withEosToken(eos)
                .withTools((List<?>) testCase.get("tools"))
                .withNow(FROZEN_CLOCK);
        List<ChatMessage> chatMessages = messages.stream().map(m -> toChatMessage((Map<String, Object>) m)).toList();

        if (testCase.containsKey("expected")) {
            String expected = (String) testCase.get("expected");
            assertEquals(expected, template.render(variables, FROZEN_CLOCK), "rendered from the JSON messages");
            assertEquals(expected, template.render(chatMessages, options), "rendered from ChatMessages");
        } else {
            String expectedError = (String) testCase.get("expected_error");
            ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> template.render(variables, FROZEN_CLOCK));
            assertEquals(expectedError, e.getMessage());
            assertTrue(e.raisedByTemplate(), "the template's own raise_exception");
            ChatTemplateException viaMessages = assertThrows(ChatTemplateException.class,
                    () -> template.render(chatMessages, options));
            assertEquals(expectedError, viaMessages.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    private static ChatMessage toChatMessage(Map<String, Object> m) {
        List<ChatMessage.ToolCall> calls = new ArrayList<>();
        for (Object o : (List<Object>) m.getOrDefault("tool_calls", List.of())) {
            Map<String, Object> call = (Map<String, Object>) o;
            Map<String, Object> function = (Map<String, Object>) call.get("function");
            calls.add(new ChatMessage.ToolCall((String) call.get("id"), (String) function.get("name"),
                    (Map<String, Object>) function.get("arguments")));
        }
        return new ChatMessage((String) m.get("role"), (String) m.get("content"), calls, (String) m.get("name"),
                (String) m.get("tool_call_id"));
    }

    static {
        // Fail loudly if the test data's JSON reader cannot be found (a broken test classpath).
        try {
            Class.forName("dev.inferj.Json");
        } catch (ClassNotFoundException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }
}
