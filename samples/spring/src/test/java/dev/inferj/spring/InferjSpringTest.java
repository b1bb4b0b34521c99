package dev.inferj.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.ChatMessage;
import dev.inferj.GenerateOptions;
import dev.inferj.Model;
import dev.inferj.Session;
import dev.inferj.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A Spring Boot application with the inferj starter: the auto-configured model and Spring AI chat model driven
 * through {@code ChatClient} (text, streams, {@code entity(...)}), the health indicator, and a start-up that
 * stops with a clear message when the model file is wrong. stories260K with a chat template added.
 */
@SpringBootTest(classes = InferjSpringTest.App.class)
class InferjSpringTest {
    private static final String PROMPT = "Once upon a time";

    @SpringBootApplication
    static class App {
    }

    @DynamicPropertySource
    static void model(DynamicPropertyRegistry registry) throws IOException {
        Path chat = SharedData.storiesWithTemplate(SharedData.SIMPLE_CHAT_TEMPLATE,
                Files.createTempDirectory("inferj-spring").resolve("chat260k.gguf"));
        chat.toFile().deleteOnExit();
        registry.add("inferj.model.path", chat::toString);
        registry.add("inferj.model.context-length", () -> "1024");
    }

    record Person(String name, int age) {
    }

    @Autowired
    Model model;

    @Autowired
    ChatModel chatModel;

    @Autowired
    HealthIndicator inferjHealthIndicator;

    private String greedyReply(int maxTokens) {
        try (Session s = model.newSession()) {
            return s.chat(List.of(ChatMessage.user(PROMPT)), GenerateOptions.greedy().withMaxTokens(maxTokens)).text();
        }
    }

    private static ChatOptions.Builder<?> greedy(int maxTokens) {
        return ChatOptions.builder().temperature(0.0).maxTokens(maxTokens);
    }

    @Test
    void chatClientGetsTheModelsOwnGreedyReply() {
        assertTrue(chatModel instanceof InferjSpringChatModel);
        String reply = ChatClient.create(chatModel).prompt().user(PROMPT).options(greedy(20)).call().content();
        assertEquals(greedyReply(20), reply);
    }

    @Test
    void aStreamIsTheSameTextInPieces() {
        List<String> pieces = ChatClient.create(chatModel).prompt().user(PROMPT).options(greedy(20)).stream().content()
                .collectList().block();
        assertNotNull(pieces);
        assertTrue(pieces.size() > 1, pieces.toString());
        assertEquals(greedyReply(20), String.join("", pieces));
    }

    /** entity(...) puts the record's schema in the prompt; the chat model keeps the reply to it, so it always converts. */
    @Test
    void entityRepliesAlwaysConvert() {
        for (int i = 0; i < 3; i++) {
            Person p = ChatClient.create(chatModel).prompt().user("Lily is five.").options(ChatOptions.builder().temperature(1.0)
                    .maxTokens(150)).call().entity(Person.class);
            assertNotNull(p);
        }
    }

    @Test
    void healthIsUpWithTheModelsFacts() {
        var health = inferjHealthIndicator.health(true);
        assertEquals(Status.UP, health.getStatus());
        assertEquals("llama", health.getDetails().get("architecture"));
    }

    @Test
    void aWrongPathStopsTheStartWithTheProperty() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(InferjAutoConfiguration.class))
                .withPropertyValues("inferj.model.path=/no/such/model.gguf").run(context -> {
                    assertNotNull(context.getStartupFailure());
                    Throwable cause = context.getStartupFailure();
                    while (cause.getCause() != null) {
                        cause = cause.getCause();
                    }
                    assertTrue(cause.getMessage().contains("inferj.model.path") && cause.getMessage().contains("/no/such/model.gguf"),
                            cause.getMessage());
                });
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(InferjAutoConfiguration.class))
                .run(context -> assertTrue(context.getBeansOfType(Model.class).isEmpty(), "no path, no model"));
    }
}
