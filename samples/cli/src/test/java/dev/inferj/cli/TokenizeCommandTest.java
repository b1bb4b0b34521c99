package dev.inferj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.Json;
import dev.inferj.SharedData;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TokenizeCommandTest {
    private static final String LLAMACPP_SEPARATOR = "\n__ggml_vocab_test__\n";

    private final InputStream stdin = System.in;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @AfterEach
    void restoreStdin() {
        System.setIn(stdin);
    }

    private int tokenize(String input, String... args) {
        System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
        String[] all = new String[args.length + 1];
        all[0] = "tokenize";
        System.arraycopy(args, 0, all, 1, args.length);
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), all);
    }

    private static Path vocabulary(String file) {
        return SharedData.root().resolve("tokenizer").resolve("vocab").resolve(file);
    }

    @Test
    void jsonlGivesOneLineOfIdsPerStringAsLlamaCppDoes() throws IOException {
        Path tests = SharedData.root().resolve("tokenizer").resolve("llamacpp-tests");
        List<String> texts = Arrays.asList(Files.readString(tests.resolve("ggml-vocab-llama-spm.gguf.inp"),
                StandardCharsets.UTF_8).split(LLAMACPP_SEPARATOR, -1)).subList(0, 10);
        List<String> expected = Files.readString(tests.resolve("ggml-vocab-llama-spm.gguf.out"), StandardCharsets.UTF_8)
                .lines().limit(10).map(String::strip).toList();
        assertTrue(texts.stream().anyMatch(String::isEmpty) && texts.stream().anyMatch(t -> t.contains("\n")),
                "the first cases include the empty text and newlines");

        String input = texts.stream().map(TokenizeCommandTest::jsonString).collect(Collectors.joining("\n", "", "\n"));
        int code = tokenize(input, "--model", vocabulary("ggml-vocab-llama-spm.gguf").toString(), "--jsonl");

        assertEquals(0, code, err.toString());
        assertEquals(expected, out.toString().lines().toList());
    }

    @Test
    @SuppressWarnings("unchecked")
    void bosAddsTheBeginningOfSequenceAsTheReferencePromptHasIt() {
        Map<String, Object> reference = (Map<String, Object>) ((List<Object>) Json.parse(
                SharedData.reference("stories260K.json"))).getFirst();
        assertEquals(Boolean.TRUE, reference.get("add_bos"));
        String ids = ((List<Object>) reference.get("prompt_ids")).stream().map(String::valueOf).collect(Collectors.joining(" "));

        int code = tokenize("", "--model", SharedData.model("stories260K.gguf").toString(), "--bos",
                "--text", (String) reference.get("prompt"));

        assertEquals(0, code, err.toString());
        assertEquals(ids + System.lineSeparator(), out.toString());
    }

    @Test
    void withoutBosNoBeginningOfSequenceIsAdded() {
        int code = tokenize("", "--model", SharedData.model("stories260K.gguf").toString(), "--text", "Once upon a time");
        assertEquals(0, code, err.toString());
        assertEquals("403 407 261 378", out.toString().strip());
    }

    @Test
    void stdinIsTokenizedExactlyItsFinalNewlineIncluded() {
        String model = vocabulary("ggml-vocab-llama-spm.gguf").toString();
        assertEquals(0, tokenize("Hello world\n", "--model", model), err.toString());
        String fromStdin = out.toString();
        out.getBuffer().setLength(0);
        assertEquals(0, tokenize("", "--model", model, "--text", "Hello world\n"), err.toString());

        assertEquals(out.toString(), fromStdin);
        assertTrue(fromStdin.strip().endsWith(" 13"), "ends with the newline byte token <0x0A>: " + fromStdin);
    }

    @Test
    void parseSpecialRecognizesControlTokensWrittenInTheText() {
        String model = vocabulary("ggml-vocab-llama-spm.gguf").toString();
        assertEquals(0, tokenize("", "--model", model, "--text", "<s>", "--parse-special"), err.toString());
        assertEquals("1", out.toString().strip());
        out.getBuffer().setLength(0);
        assertEquals(0, tokenize("", "--model", model, "--text", "<s>"), err.toString());
        assertTrue(!Arrays.asList(out.toString().strip().split(" ")).contains("1"), out.toString());
    }

    @Test
    void aLineThatIsNotAJsonStringIsOneLineOnStderr() {
        int code = tokenize("\"fine\"\n[1, 2]\n", "--model", vocabulary("ggml-vocab-llama-spm.gguf").toString(), "--jsonl");
        assertNotEquals(0, code);
        assertEquals("inferj: stdin line 2: expected a JSON string, got an array", err.toString().strip());
    }

    @Test
    void jsonlAndTextTogetherAreAUsageError() {
        int code = tokenize("", "--model", vocabulary("ggml-vocab-llama-spm.gguf").toString(), "--jsonl", "--text", "x");
        assertEquals(2, code);
        assertTrue(err.toString().contains("--jsonl reads stdin"), err.toString());
    }

    /** {@code s} as a JSON string, every character outside printable ASCII escaped. */
    private static String jsonString(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c >= 0x20 && c < 0x7f) {
                sb.append(c);
            } else {
                sb.append(String.format("\\u%04x", (int) c));
            }
        }
        return sb.append('"').toString();
    }
}
