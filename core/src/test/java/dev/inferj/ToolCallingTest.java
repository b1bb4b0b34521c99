package dev.inferj;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufValue;
import dev.inferj.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Function calling through real chat templates (shared/chat) on stories260K, random as its replies are: every
 * call the model makes parses, names an offered tool and has arguments valid under that tool's schema (checked
 * by a validator written from the JSON Schema specification), in each of the three formats.
 */
class ToolCallingTest {
    private static final String WEATHER = "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", \"maxLength\": 12},"
            + " \"unit\": {\"enum\": [\"c\", \"f\"]}}, \"required\": [\"city\", \"unit\"]}";
    private static final String ADD = "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"integer\", \"minimum\": 0, \"maximum\": 100},"
            + " \"b\": {\"type\": \"integer\", \"minimum\": -5, \"maximum\": 5}}, \"required\": [\"a\", \"b\"]}";
    private static final List<Tool> FUNCTIONS = List.of(Tool.function("get_weather", "The weather in a city", WEATHER),
            Tool.function("add", "Adds two numbers", ADD));
    private static final List<ChatMessage> ASK = List.of(ChatMessage.user("What is the weather in Paris?"));

    @TempDir
    Path dir;

    /** stories260K with the template of a shared/chat case and, as its last token, the format's trigger (so it can be biased). */
    private Model model(String templateCase, String trigger) throws IOException {
        Path out = dir.resolve(templateCase + ".gguf");
        try (GgufFile f = GgufFile.open(SharedData.model("stories260K.gguf"))) {
            String[] tokens = f.getStringArray("tokenizer.ggml.tokens");
            tokens[tokens.length - 1] = trigger;
            GgufWriter.copyOf(f).put("tokenizer.chat_template", GgufValue.ofString(SharedData.caseTemplate(templateCase)))
                    .replace("tokenizer.ggml.tokens", GgufValue.ofStrings(tokens)).write(out);
        }
        return Model.load(out, ModelOptions.defaults().withContextLength(4096));
    }

    private static void assertValidCalls(Generation g, String where) {
        assertFalse(g.toolCalls().isEmpty(), where + ": no calls in " + g.text());
        for (ChatMessage.ToolCall call : g.toolCalls()) {
            String schema = switch (call.name()) {
                case "get_weather" -> WEATHER;
                case "add" -> ADD;
                default -> throw new AssertionError(where + ": a call of an unknown tool " + call.name());
            };
            assertNull(SchemaValidator.check(call.arguments(), Json.parse(schema)), where + ": " + call);
            assertEquals(9, call.id().length(), call.id());
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"llamacpp-Qwen-Qwen2.5-7B-Instruct|<tool_call>",
            "llamacpp-Mistral-Small-3.2-24B-Instruct-2506|[TOOL_CALLS]", "llamacpp-meta-llama-Llama-3.1-8B-Instruct|{\"name\""})
    void requiredCallsParseAndValidateAtTemperatureOne(String template, String trigger) throws IOException {
        try (Model m = model(template, trigger); Session s = m.newSession()) {
            for (long seed = 1; seed <= 12; seed++) {
                Generation g = s.chat(ASK, Tools.required(FUNCTIONS), GenerateOptions.defaults().withTemperature(1f).withSeed(seed)
                        .withMaxTokens(300));
                assertValidCalls(g, template + " seed " + seed);
                assertTrue(g.stopReason() == Generation.StopReason.TOOL_CALLS || g.stopReason() == Generation.StopReason.MAX_TOKENS,
                        g.stopReason().toString());
            }
        }
    }

    /** AUTO: free text until the model writes the trigger (here made likely by a bias), then the calls' grammar. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"llamacpp-Qwen-Qwen2.5-7B-Instruct|<tool_call>",
            "llamacpp-Mistral-Small-3.2-24B-Instruct-2506|[TOOL_CALLS]"})
    void autoCallsAreKeptToTheGrammarOnceOpened(String template, String trigger) throws IOException {
        try (Model m = model(template, trigger); Session s = m.newSession()) {
            int triggerId = m.info().vocabularySize() - 1;
            for (long seed = 1; seed <= 6; seed++) {
                Generation g = s.chat(ASK, Tools.auto(FUNCTIONS), GenerateOptions.defaults().withTemperature(1f).withSeed(seed)
                        .withMaxTokens(200).withLogitBias(Map.of(triggerId, 50f)));
                assertValidCalls(g, template + " seed " + seed);
                assertFalse(g.text().contains(trigger), g.text());
            }
            // without the trigger, AUTO is plain text
            Generation plain = s.chat(ASK, Tools.auto(FUNCTIONS), GenerateOptions.defaults().withTemperature(1f).withSeed(3)
                    .withMaxTokens(40).withLogitBias(Map.of(triggerId, Float.NEGATIVE_INFINITY)));
            assertTrue(plain.toolCalls().isEmpty());
            assertTrue(plain.stopReason() != Generation.StopReason.TOOL_CALLS);
        }
    }

    @Test
    void toolsReachTheTemplateAndACallHistoryRendersBack() throws IOException {
        try (Model m = model("llamacpp-Qwen-Qwen2.5-7B-Instruct", "<tool_call>")) {
            String prompt = m.renderChat(ASK, Tools.auto(FUNCTIONS), true);
            assertTrue(prompt.contains("\"name\": \"get_weather\"") && prompt.contains("\"maxLength\": 12"), prompt);
            Generation g;
            try (Session s = m.newSession()) {
                g = s.chat(ASK, Tools.required(FUNCTIONS), GenerateOptions.greedy().withMaxTokens(200));
            }
            List<ChatMessage> history = List.of(ASK.get(0), ChatMessage.assistant(g.text(), g.toolCalls()),
                    ChatMessage.tool(g.toolCalls().get(0).name(), g.toolCalls().get(0).id(), "sunny"));
            String next = m.renderChat(history, Tools.auto(FUNCTIONS), true);
            assertTrue(next.contains("<tool_response>\nsunny\n</tool_response>"), next);
            assertTrue(next.contains("\"name\": \"" + g.toolCalls().get(0).name() + "\""), next);
        }
    }

    @Test
    void whatCannotBeHonouredIsRefusedBeforeAnyToken() throws IOException {
        try (Model plain = Model.load(SharedData.model("stories260K.gguf"), ModelOptions.defaults().withContextLength(64));
                Session s = plain.newSession()) {
            InferjException e = assertThrows(InferjException.class, () -> s.chat(ASK, Tools.auto(FUNCTIONS), GenerateOptions.greedy()));
            assertTrue(e.getMessage().contains("chat template"), e.getMessage());
        }
        try (Model m = model("llamacpp-Qwen-Qwen2.5-7B-Instruct", "<tool_call>"); Session s = m.newSession()) {
            assertThrows(IllegalArgumentException.class, () -> s.chat(ASK, Tools.auto(FUNCTIONS),
                    GenerateOptions.greedy().withJsonSchema("{\"type\": \"object\"}")));
            assertThrows(GrammarException.class, () -> s.chat(ASK, Tools.auto(List.of(Tool.function("f", "",
                    "{\"type\": \"object\", \"properties\": {\"x\": {\"type\": \"string\", \"format\": \"uri\"}}}"))), GenerateOptions.greedy()));
            assertEquals(0, s.position());
        }
        assertThrows(IllegalArgumentException.class, () -> Tool.function("bad name", "", "{}"));
        assertThrows(IllegalArgumentException.class, () -> Tool.function("f", "", "[1]"));
        assertThrows(IllegalArgumentException.class, () -> Tools.auto(List.of(FUNCTIONS.get(0), FUNCTIONS.get(0))));
    }
}
