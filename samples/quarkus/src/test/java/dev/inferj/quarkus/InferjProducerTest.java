package dev.inferj.quarkus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.ChatMessage;
import dev.inferj.GenerateOptions;
import dev.inferj.Model;
import dev.inferj.Session;
import dev.inferj.langchain4j.InferjChatModel;
import dev.inferj.langchain4j.InferjStreamingChatModel;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.service.AiServices;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The producer's beans in a running Quarkus application: injected, one model for all, answering through LangChain4j. */
@QuarkusTest
@QuarkusTestResource(ChatModelResource.class)
class InferjProducerTest {

    interface Storyteller {
        String tell(String prompt);
    }

    @Inject
    Model model;

    @Inject
    ChatModel chat;

    @Inject
    StreamingChatModel streaming;

    @Test
    void theInjectedChatModelAnswersAsTheModelDoes() {
        String prompt = "Once upon a time";
        String expected;
        try (Session s = model.newSession()) {
            expected = s.chat(List.of(ChatMessage.user(prompt)), GenerateOptions.greedy().withMaxTokens(16)).text();
        }
        var response = chat.chat(ChatRequest.builder().messages(UserMessage.from(prompt))
                .parameters(ChatRequestParameters.builder().temperature(0.0).maxOutputTokens(16).build()).build());
        assertEquals(expected, response.aiMessage().text());
        assertEquals(16, response.tokenUsage().outputTokenCount());
    }

    @Test
    void anAiServiceOverTheInjectedModels() {
        Storyteller teller = AiServices.create(Storyteller.class, chat);
        assertNotNull(teller.tell("Once upon a time")); // sampled: any reply will do
        assertTrue(chat instanceof InferjChatModel && streaming instanceof InferjStreamingChatModel);
    }
}
