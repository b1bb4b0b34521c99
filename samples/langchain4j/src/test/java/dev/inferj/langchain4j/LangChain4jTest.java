package dev.inferj.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.ChatMessage;
import dev.inferj.GenerateOptions;
import dev.inferj.Json;
import dev.inferj.Model;
import dev.inferj.ModelOptions;
import dev.inferj.Session;
import dev.inferj.SessionOptions;
import dev.inferj.SharedData;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * inferj behind LangChain4j's interfaces, driven through {@code AiServices}: on stories260K with a chat template
 * added, exact text where decoding is greedy (against the model run in-process), structure where it samples.
 */
class LangChain4jTest {
    private static final String PROMPT = "Once upon a time";

    @TempDir
    static Path dir;

    private static Model model;

    @BeforeAll
    static void load() {
        Path chat = SharedData.storiesWithTemplate(SharedData.SIMPLE_CHAT_TEMPLATE, dir.resolve("chat260k.gguf"));
        model = Model.load(chat, ModelOptions.defaults().withContextLength(1024));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static String greedyReply(String content, int maxTokens) {
        try (Session s = model.newSession()) {
            return s.chat(List.of(ChatMessage.user(content)), GenerateOptions.greedy().withMaxTokens(maxTokens)).text();
        }
    }

    interface Storyteller {
        String tell(String prompt);
    }

    record Person(String name, int age, boolean happy) {
    }

    interface Extractor {
        Person extract(String text);
    }

    @Test
    void anAiServiceGetsTheModelsOwnGreedyReply() {
        try (InferjChatModel chat = new InferjChatModel(model, GenerateOptions.greedy().withMaxTokens(24), SessionOptions.defaults())) {
            Storyteller teller = AiServices.create(Storyteller.class, chat);
            assertEquals(greedyReply(PROMPT, 24), teller.tell(PROMPT));
            ChatResponse r = chat.chat(ChatRequest.builder().messages(UserMessage.from(PROMPT)).build());
            assertEquals(FinishReason.LENGTH, r.finishReason());
            assertEquals(24, r.tokenUsage().outputTokenCount());
            assertEquals(model.encodeChat(List.of(ChatMessage.user(PROMPT)), true).length, r.tokenUsage().inputTokenCount());
        }
    }

    /**
     * AiServices asks for the record's JSON schema (the model declares the capability); the reply always parses into
     * it (a reply that did not would throw).
     */
    @Test
    void anAiServiceReturnsTypedRecordsAtTemperatureOne() {
        for (long seed = 1; seed <= 5; seed++) {
            try (InferjChatModel chat = new InferjChatModel(model, GenerateOptions.defaults().withTemperature(1f).withSeed(seed)
                    .withMaxTokens(200), SessionOptions.defaults())) {
                // LangChain4j's schema of a record requires none of its properties: each reply is a Person, some fields may be absent
                Person p = AiServices.create(Extractor.class, chat).extract("Lily is five and glad.");
                assertNotNull(p);
            }
        }
    }

    @Test
    void streamingHandsOutTheSameTextInPieces() throws Exception {
        try (InferjStreamingChatModel chat = new InferjStreamingChatModel(model, GenerateOptions.greedy().withMaxTokens(24),
                SessionOptions.defaults())) {
            StringBuilder pieces = new StringBuilder();
            CompletableFuture<ChatResponse> done = new CompletableFuture<>();
            chat.chat(PROMPT, new StreamingChatResponseHandler() {
                @Override
                public void onPartialResponse(String partial) {
                    pieces.append(partial);
                }

                @Override
                public void onCompleteResponse(ChatResponse response) {
                    done.complete(response);
                }

                @Override
                public void onError(Throwable error) {
                    done.completeExceptionally(error);
                }
            });
            ChatResponse response = done.get(60, TimeUnit.SECONDS);
            assertEquals(greedyReply(PROMPT, 24), pieces.toString());
            assertEquals(pieces.toString(), response.aiMessage().text());
        }
    }

    /** Tool specifications reach the template (Qwen 2.5's, Hermes format) and the model's call comes back as a tool request. */
    @Test
    void requiredToolsComeBackAsToolExecutionRequests() throws Exception {
        Path qwen = SharedData.storiesWithTemplate(SharedData.caseTemplate("llamacpp-Qwen-Qwen2.5-7B-Instruct"), dir.resolve("qwen.gguf"));
        try (Model m = Model.load(qwen, ModelOptions.defaults().withContextLength(2048));
                InferjChatModel chat = new InferjChatModel(m, GenerateOptions.defaults().withTemperature(1f).withSeed(9)
                        .withMaxTokens(150), SessionOptions.defaults())) {
            ToolSpecification weather = ToolSpecification.builder().name("get_weather").description("The weather in a city")
                    .parameters(JsonObjectSchema.builder().addStringProperty("city").addIntegerProperty("days").required("city", "days")
                            .build()).build();
            ChatResponse r = chat.chat(ChatRequest.builder().messages(UserMessage.from("Weather in Paris?"))
                    .toolSpecifications(weather).toolChoice(ToolChoice.REQUIRED).build());
            assertEquals(FinishReason.TOOL_EXECUTION, r.finishReason());
            assertTrue(r.aiMessage().hasToolExecutionRequests());
            var request = r.aiMessage().toolExecutionRequests().get(0);
            assertEquals("get_weather", request.name());
            @SuppressWarnings("unchecked")
            Map<String, Object> arguments = (Map<String, Object>) Json.parse(request.arguments());
            assertTrue(arguments.get("city") instanceof String && arguments.get("days") instanceof Number, request.arguments());
        }
    }
}
