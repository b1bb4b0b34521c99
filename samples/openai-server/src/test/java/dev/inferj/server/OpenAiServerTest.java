package dev.inferj.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import dev.inferj.ChatMessage;
import dev.inferj.GenerateOptions;
import dev.inferj.Model;
import dev.inferj.ModelOptions;
import dev.inferj.Session;
import dev.inferj.SessionOptions;
import dev.inferj.SharedData;
import dev.langchain4j.model.openai.OpenAiChatModel;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code inferj serve}'s API driven by the official OpenAI Java SDK and by raw HTTP, on stories260K with a chat
 * template added: exact text where decoding is greedy (against the same model run in-process), structure
 * where it samples.
 */
class OpenAiServerTest {
    private static final String KEY = "test-key";
    private static final String PROMPT = "Once upon a time";

    @TempDir
    static Path dir;

    private static Model model;
    private static OpenAiServer server;
    private static OpenAIClient client;
    private static String base;

    @BeforeAll
    static void start() {
        Path chat = SharedData.storiesWithTemplate(SharedData.SIMPLE_CHAT_TEMPLATE, dir.resolve("chat260k.gguf"));
        model = Model.load(chat, ModelOptions.defaults().withContextLength(8192)); // room for a generation that outlasts the overload test
        server = OpenAiServer.start(model, ServerOptions.defaults("chat260k").withPort(0).withApiKey(KEY).withQueue(1)
                .withMaxRequestBytes(64 * 1024), SessionOptions.defaults());
        base = "http://127.0.0.1:" + server.port();
        client = OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey(KEY).maxRetries(0).timeout(Duration.ofSeconds(60)).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
        model.close();
    }

    private static ChatCompletionCreateParams.Builder chat(String content, long maxTokens) {
        return ChatCompletionCreateParams.builder().model("chat260k").addUserMessage(content).maxCompletionTokens(maxTokens);
    }

    /** What the model answers greedily in-process, through the same chat template. */
    private static String greedyReply(String content, int maxTokens) {
        try (Session s = model.newSession()) {
            return s.chat(List.of(ChatMessage.user(content)), GenerateOptions.greedy().withMaxTokens(maxTokens)).text();
        }
    }

    @Test
    void aGreedyChatCompletionIsTheModelsOwnReply() {
        ChatCompletion c = client.chat().completions().create(chat(PROMPT, 20).temperature(0).build());
        assertEquals(greedyReply(PROMPT, 20), c.choices().get(0).message().content().orElseThrow());
        assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, c.choices().get(0).finishReason());
        assertEquals(20, c.usage().orElseThrow().completionTokens());
        assertEquals(model.tokenizer().encode("user: " + PROMPT + "\nassistant:", true, false).length, // BOS added
                c.usage().orElseThrow().promptTokens());
        assertEquals("chat260k", c.model());
    }

    @Test
    void aStreamedChatCompletionIsTheSameTextInPiecesThenItsUsage() {
        StringBuilder text = new StringBuilder();
        long[] usage = {-1};
        String[] finish = {null};
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat(PROMPT, 24)
                .temperature(0).streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            stream.stream().forEach(chunk -> {
                chunk.choices().forEach(choice -> {
                    choice.delta().content().ifPresent(text::append);
                    choice.finishReason().ifPresent(r -> finish[0] = r.asString());
                });
                chunk.usage().ifPresent(u -> usage[0] = u.completionTokens());
            });
        }
        assertEquals(greedyReply(PROMPT, 24), text.toString());
        assertEquals("length", finish[0]);
        assertEquals(24, usage[0]);
    }

    @Test
    void jsonSchemaOutputParsesAndValidatesAtTemperatureOne() throws Exception {
        ResponseFormatJsonSchema.JsonSchema.Schema schema = ResponseFormatJsonSchema.JsonSchema.Schema.builder()
                .putAdditionalProperty("type", JsonValue.from("object"))
                .putAdditionalProperty("properties", JsonValue.from(Map.of(
                        "name", Map.of("type", "string", "maxLength", 12),
                        "age", Map.of("type", "integer", "minimum", 0, "maximum", 120),
                        "happy", Map.of("type", "boolean"))))
                .putAdditionalProperty("required", JsonValue.from(List.of("name", "age", "happy")))
                .build();
        ResponseFormatJsonSchema format = ResponseFormatJsonSchema.builder()
                .jsonSchema(ResponseFormatJsonSchema.JsonSchema.builder().name("person").schema(schema).build()).build();
        for (long seed = 1; seed <= 8; seed++) {
            ChatCompletion c = client.chat().completions().create(chat("Tell me about a girl", 120).temperature(1)
                    .seed(seed).responseFormat(format).build());
            String content = c.choices().get(0).message().content().orElseThrow();
            JsonNode json = Requests.JSON.readTree(content);
            assertTrue(json.get("name").isTextual() && json.get("name").asText().length() <= 12, content);
            assertTrue(json.get("age").isInt() && json.get("age").asInt() >= 0 && json.get("age").asInt() <= 120, content);
            assertTrue(json.get("happy").isBoolean(), content);
            assertEquals(3, json.size(), content);
            assertEquals(ChatCompletion.Choice.FinishReason.STOP, c.choices().get(0).finishReason());
        }
    }

    /** LangChain4j's own OpenAI model, pointed at the server, gets the model's greedy reply. */
    @Test
    void langChain4jsOpenAiModelTalksToTheServer() {
        OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(base + "/v1").apiKey(KEY).modelName("chat260k")
                .temperature(0.0).maxTokens(20).build();
        assertEquals(greedyReply(PROMPT, 20), chat.chat(PROMPT));
    }

    @Test
    void textCompletionsAndTheModelList() {
        Completion c = client.completions().create(CompletionCreateParams.builder().model("chat260k").prompt(PROMPT)
                .maxTokens(16).temperature(0).build());
        String expected;
        try (Session s = model.newSession()) {
            expected = s.generate(PROMPT, GenerateOptions.greedy().withMaxTokens(16)).text();
        }
        assertEquals(expected, c.choices().get(0).text());
        assertEquals(List.of("chat260k"), client.models().list().data().stream().map(m -> m.id()).toList());
    }

    @Test
    void badRequestsAndKeysGetOpenAiErrors() throws Exception {
        BadRequestException bad = assertThrows(BadRequestException.class,
                () -> client.chat().completions().create(chat(PROMPT, 4).temperature(-1).build()));
        assertTrue(bad.getMessage().contains("temperature"), bad.getMessage());
        OpenAIClient wrong = OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey("nope").maxRetries(0).build();
        try {
            assertThrows(UnauthorizedException.class, () -> wrong.models().list());
        } finally {
            wrong.close();
        }
        HttpResponse<String> big = post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \""
                + "x".repeat(100_000) + "\"}]}");
        assertEquals(413, big.statusCode());
        JsonNode error = Requests.JSON.readTree(big.body()).get("error");
        assertEquals("request_too_large", error.get("code").asText());
        assertEquals(200, get("/health").statusCode()); // no key needed
    }

    /**
     * A tool call round trip through Qwen 2.5's template (Hermes format): the call comes back typed, its arguments
     * valid JSON under the tool's schema, and the conversation with the call and its result goes on.
     */
    @Test
    void aToolCallRoundTrip() throws Exception {
        Path qwen = SharedData.storiesWithTemplate(SharedData.caseTemplate("llamacpp-Qwen-Qwen2.5-7B-Instruct"),
                dir.resolve("qwen-template.gguf"));
        try (Model m = Model.load(qwen, ModelOptions.defaults().withContextLength(2048));
                OpenAiServer s = OpenAiServer.start(m, ServerOptions.defaults("qwen").withPort(0), SessionOptions.defaults())) {
            OpenAIClient c = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + s.port() + "/v1").apiKey("none")
                    .maxRetries(0).timeout(Duration.ofSeconds(60)).build();
            try {
                ChatCompletionFunctionTool weather = ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder()
                        .name("get_weather").description("The weather in a city").parameters(FunctionParameters.builder()
                                .putAdditionalProperty("type", JsonValue.from("object"))
                                .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string", "maxLength", 10))))
                                .putAdditionalProperty("required", JsonValue.from(List.of("city"))).build()).build()).build();
                ChatCompletionCreateParams.Builder ask = ChatCompletionCreateParams.builder().model("qwen")
                        .addUserMessage("Weather in Paris?").addTool(weather).maxCompletionTokens(150).temperature(1).seed(2);
                ChatCompletion first = c.chat().completions().create(ask.toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).build());
                assertEquals(ChatCompletion.Choice.FinishReason.TOOL_CALLS, first.choices().get(0).finishReason());
                List<ChatCompletionMessageToolCall> calls = first.choices().get(0).message().toolCalls().orElseThrow();
                ChatCompletionMessageFunctionToolCall call = calls.get(0).asFunction();
                assertEquals("get_weather", call.function().name());
                JsonNode arguments = Requests.JSON.readTree(call.function().arguments());
                assertTrue(arguments.get("city").isTextual() && arguments.get("city").asText().length() <= 10 && arguments.size() == 1,
                        call.function().arguments());
                ChatCompletion second = c.chat().completions().create(ask.addMessage(first.choices().get(0).message())
                        .addMessage(ChatCompletionToolMessageParam.builder().toolCallId(call.id()).content("sunny").build())
                        .toolChoice(ChatCompletionToolChoiceOption.Auto.NONE).build());
                assertEquals(1, second.choices().size());
                assertTrue(second.choices().get(0).message().toolCalls().map(List::isEmpty).orElse(true));
            } finally {
                c.close();
            }
        }
    }

    /** One generation runs, one waits, the third is refused; a client that hangs up frees its session. */
    @Test
    void overloadGets429AndADisconnectFreesTheSlot() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String endless = "{\"messages\": [{\"role\": \"user\", \"content\": \"Once\"}], \"stream\": true, \"temperature\": 1,"
                + " \"max_tokens\": 100000}";
        HttpResponse<InputStream> running = http.send(request("/v1/chat/completions", endless), HttpResponse.BodyHandlers.ofInputStream());
        InputStream events = running.body();
        events.readNBytes(200); // it streams
        CompletableFuture<HttpResponse<String>> waiting = http.sendAsync(request("/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"Once\"}], \"max_tokens\": 4}"), HttpResponse.BodyHandlers.ofString());
        Thread.sleep(300);
        RateLimitException refused = assertThrows(RateLimitException.class,
                () -> client.chat().completions().create(chat(PROMPT, 4).build()));
        assertTrue(refused.getMessage().contains("busy"), refused.getMessage());
        assertFalse(waiting.isDone());
        events.close(); // hang up: the server's next write fails and cancels the endless generation
        assertEquals(200, waiting.get(30, TimeUnit.SECONDS).statusCode());
        assertEquals(200, post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"Once\"}],"
                + " \"max_tokens\": 4}").statusCode());
    }

    private static HttpRequest request(String path, String body) {
        return HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + KEY)
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HttpClient.newHttpClient().send(request(path, body), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
