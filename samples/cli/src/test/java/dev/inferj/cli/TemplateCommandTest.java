package dev.inferj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.Json;
import dev.inferj.SharedData;
import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufValue;
import dev.inferj.gguf.GgufWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code inferj template} against the references in {@code shared/chat/cases}: the prompt is
 * printed exactly as Hugging Face rendered it (no newline added), with the same context (the
 * case's BOS/EOS texts, tools in the tool-call case, the clock at 26 July 2024).
 */
class TemplateCommandTest {
    private static final String REFERENCE_DATE = "2024-07-26";

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @TempDir
    Path dir;

    private int run(String... args) {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    /** Runs a case of {@code shared/chat/cases/<file>} through the command; the case. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> runCase(String file, String caseName) throws IOException {
        Map<String, Object> spec = (Map<String, Object>) Json.parse(SharedData.root().resolve("chat").resolve("cases").resolve(file));
        Map<String, Object> testCase = ((List<Object>) spec.get("cases")).stream()
                .map(c -> (Map<String, Object>) c)
                .filter(c -> caseName.equals(c.get("name")))
                .findFirst().orElseThrow();
        Path template = Files.writeString(dir.resolve("template.jinja"), (String) spec.get("template"), StandardCharsets.UTF_8);
        Path messages = Files.writeString(dir.resolve("messages.json"), json(testCase.get("messages")), StandardCharsets.UTF_8);
        List<String> args = new ArrayList<>(List.of("template", "--template", template.toString(),
                "--messages", messages.toString(), "--bos", (String) spec.get("bos_token"),
                "--eos", (String) spec.get("eos_token"), "--date", REFERENCE_DATE));
        if (testCase.containsKey("tools")) {
            Path tools = Files.writeString(dir.resolve("tools.json"), json(testCase.get("tools")), StandardCharsets.UTF_8);
            args.addAll(List.of("--tools", tools.toString()));
        }
        if ((Boolean) testCase.get("add_generation_prompt")) {
            args.add("--add-generation-prompt");
        }
        testCase.put("exitCode", run(args.toArray(String[]::new)));
        return testCase;
    }

    private void assertRendersExactly(String file, String caseName) throws IOException {
        Map<String, Object> testCase = runCase(file, caseName);
        assertEquals(0, testCase.get("exitCode"), err.toString());
        assertEquals(testCase.get("expected"), out.toString());
        assertEquals("", err.toString());
    }

    @Test
    void rendersExactlyWhatTheReferenceRenderedWithTheDateGiven() throws IOException {
        // Llama 3.2 writes "Today Date: 26 Jul 2024" with strftime_now
        assertRendersExactly("llamacpp-meta-llama-Llama-3.2-3B-Instruct.json", "system_user");
    }

    @Test
    void passesToolCallsAndToolsThroughAsTheTemplateReadsThem() throws IOException {
        assertRendersExactly("llamacpp-meta-llama-Llama-3.2-3B-Instruct.json", "tool_call_and_result");
        out.getBuffer().setLength(0);
        assertRendersExactly("llamacpp-Qwen-Qwen3-0.6B.json", "tool_call_and_result");
    }

    @Test
    void withoutAGenerationPromptTheConversationEndsAsTheTemplateEndsIt() throws IOException {
        assertRendersExactly("llamacpp-Qwen-Qwen2.5-7B-Instruct.json", "system_multi_turn_no_gen");
        out.getBuffer().setLength(0);
        assertRendersExactly("npm-gemma3.json", "unicode");
    }

    @Test
    void raiseExceptionExitsNonZeroWithExactlyTheTemplatesMessage() throws IOException {
        Map<String, Object> testCase = runCase("llamacpp-google-gemma-2-2b-it.json", "system_user");
        assertEquals("System role not supported", testCase.get("expected_error"));
        assertEquals(1, testCase.get("exitCode"));
        assertEquals("", out.toString());
        assertEquals("inferj: System role not supported" + System.lineSeparator(), err.toString());
    }

    @Test
    void aModelGivesItsTemplateAndItsBosAndEosTexts() throws IOException {
        Path model = modelWithTemplate("{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}{{ eos_token }}");
        Path messages = Files.writeString(dir.resolve("m.json"), "[{\"role\": \"user\", \"content\": \"Hi\"}]");

        assertEquals(0, run("template", "--model", model.toString(), "--messages", messages.toString()), err.toString());
        assertEquals("<s>[user]Hi</s>", out.toString());

        out.getBuffer().setLength(0);
        assertEquals(0, run("template", "-m", model.toString(), "--messages", messages.toString(), "--bos", "B:"), err.toString());
        assertEquals("B:[user]Hi</s>", out.toString());
    }

    @Test
    void withoutADateStrftimeNowIsToday() throws IOException {
        LocalDate before = LocalDate.now();
        Path template = Files.writeString(dir.resolve("t.jinja"), "{{ strftime_now('%Y-%m-%d') }}");
        Path messages = Files.writeString(dir.resolve("m.json"), "[]");
        assertEquals(0, run("template", "--template", template.toString(), "--messages", messages.toString()), err.toString());
        assertTrue(out.toString().equals(before.toString()) || out.toString().equals(LocalDate.now().toString()), out.toString());
    }

    @Test
    void aModelWithoutATemplateIsOneLineOnStderr() throws IOException {
        Path messages = Files.writeString(dir.resolve("m.json"), "[]");
        int code = run("template", "--model", SharedData.model("stories260K.gguf").toString(), "--messages", messages.toString());
        assertNotEquals(0, code);
        assertEquals(1, err.toString().lines().count(), err.toString());
        assertTrue(err.toString().startsWith("inferj: ") && err.toString().contains("tokenizer.chat_template"), err.toString());
    }

    @Test
    void messagesThatAreNotAJsonArrayAreOneLineOnStderr() throws IOException {
        Path template = Files.writeString(dir.resolve("t.jinja"), "{{ messages }}");
        Path messages = Files.writeString(dir.resolve("m.json"), "{\"role\": \"user\"}");
        int code = run("template", "--template", template.toString(), "--messages", messages.toString());
        assertNotEquals(0, code);
        assertEquals("inferj: " + messages + ": expected a JSON array of messages", err.toString().strip());
    }

    @Test
    void aTemplateErrorNamesTheFileAndThePlace() throws IOException {
        Path template = Files.writeString(dir.resolve("t.jinja"), "ok\n{% if %}");
        Path messages = Files.writeString(dir.resolve("m.json"), "[]");
        int code = run("template", "--template", template.toString(), "--messages", messages.toString());
        assertNotEquals(0, code);
        assertTrue(err.toString().startsWith("inferj: " + template + ": line 2, column "), err.toString());
    }

    private Path modelWithTemplate(String template) {
        Path model = dir.resolve("chat.gguf");
        try (GgufFile f = GgufFile.open(SharedData.model("stories260K.gguf"))) {
            GgufWriter.copyOf(f).put("tokenizer.chat_template", GgufValue.ofString(template)).write(model);
        }
        return model;
    }

    /** Test data back to JSON text (strings, numbers, booleans, null, maps and lists, as {@link Json} reads them). */
    @SuppressWarnings("unchecked")
    private static String json(Object value) {
        return switch (value) {
            case null -> "null";
            case String s -> {
                StringBuilder sb = new StringBuilder("\"");
                for (char c : s.toCharArray()) {
                    if (c == '"' || c == '\\') {
                        sb.append('\\').append(c);
                    } else if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
                yield sb.append('"').toString();
            }
            case Map<?, ?> m -> ((Map<String, Object>) m).entrySet().stream()
                    .map(e -> json(e.getKey()) + ": " + json(e.getValue()))
                    .collect(Collectors.joining(", ", "{", "}"));
            case List<?> l -> l.stream().map(TemplateCommandTest::json).collect(Collectors.joining(", ", "[", "]"));
            default -> String.valueOf(value); // Boolean, Long, Double
        };
    }
}
