package dev.inferj.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.inferj.Json;
import dev.inferj.SharedData;
import dev.inferj.gguf.GgufFile;
import dev.inferj.tokenizer.Tokenizer;
import dev.inferj.tokenizer.TokenizerModel;
import dev.inferj.tokenizer.Vocabulary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/**
 * SentencePiece tokenization against llama.cpp (commit in shared/README.md) on every SentencePiece
 * vocabulary in shared/tokenizer: its own test inputs (no BOS, special tokens not parsed), the
 * hard-case references with their own flags, the cases where llama.cpp departs from the model's
 * own tokenizer (we follow llama.cpp), and the prompt ids of the reference model runs.
 */
class SentencePieceTokenizerGoldenTest {
    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";
    private static final Map<Path, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();

    /** llama.cpp test file name → vocabulary file, for the SentencePiece ones. */
    private static final Map<String, String> LLAMACPP_TESTS = Map.of(
            "llama-spm", "ggml-vocab-llama-spm.gguf",
            "phi-3", "ggml-vocab-phi-3.gguf",
            "gemma-4", "ggml-vocab-gemma3-spm.gguf");

    @TestFactory
    Stream<DynamicNode> llamaCppTestInputs() throws IOException {
        Path dir = tokenizerDir().resolve("llamacpp-tests");
        List<DynamicNode> files = new ArrayList<>();
        for (var e : LLAMACPP_TESTS.entrySet()) {
            Path inp = dir.resolve("ggml-vocab-" + e.getKey() + ".gguf.inp");
            Path out = dir.resolve("ggml-vocab-" + e.getKey() + ".gguf.out");
            Path vocab = tokenizerDir().resolve("vocab").resolve(e.getValue());
            List<String> texts = splitCases(Files.readString(inp, StandardCharsets.UTF_8));
            List<String> lines = new ArrayList<>(Arrays.asList(Files.readString(out, StandardCharsets.UTF_8).split("\n", -1)));
            if (lines.getLast().isEmpty()) {
                lines.removeLast();
            }
            assertEquals(texts.size(), lines.size(), inp + ": cases and expected lines differ in number");
            List<DynamicNode> cases = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                String text = texts.get(i);
                int[] expected = ids(lines.get(i));
                cases.add(dynamicTest(i + ": " + shown(text),
                        () -> assertIds(expected, tokenizer(vocab).encode(text, false, false), text)));
            }
            files.add(dynamicContainer(e.getKey() + " (" + texts.size() + " cases)", cases));
        }
        return files.stream();
    }

    @TestFactory
    Stream<DynamicNode> hardCaseReferences() {
        List<DynamicNode> files = new ArrayList<>();
        for (String family : List.of("mistral-spm", "gemma3-spm")) {
            Path vocab = tokenizerDir().resolve("vocab").resolve("ggml-vocab-" + family + ".gguf");
            List<DynamicNode> cases = new ArrayList<>();
            for (Object row : Json.parseLines(tokenizerDir().resolve("reference").resolve(family + ".jsonl"))) {
                cases.add(referenceCase(vocab, map(row), "ids"));
            }
            // where llama.cpp and the model's own tokenizer disagree, llama.cpp is the reference
            for (Object row : Json.parseLines(tokenizerDir().resolve("reference").resolve(family + ".disagreements.jsonl"))) {
                cases.add(referenceCase(vocab, map(row), "llamacpp"));
            }
            files.add(dynamicContainer(family + " (" + cases.size() + " cases)", cases));
        }
        return files.stream();
    }

    private static DynamicNode referenceCase(Path vocab, Map<String, Object> row, String idsKey) {
        String text = (String) row.get("text");
        boolean parseSpecial = (Boolean) row.get("parse_special");
        boolean addBos = (Boolean) row.get("add_bos");
        int[] expected = ints(row.get(idsKey));
        return dynamicTest(row.get("id") + (idsKey.equals("ids") ? "" : " (disagreement)") + " special=" + parseSpecial
                + " bos=" + addBos + ": " + shown(text),
                () -> assertIds(expected, tokenizer(vocab).encode(text, addBos, parseSpecial), text));
    }

    @TestFactory
    Stream<DynamicNode> referenceModelPromptIds() {
        List<DynamicNode> tests = new ArrayList<>();
        for (String model : List.of("stories260K", "llama-dense-f32")) {
            Path gguf = SharedData.model(model + ".gguf");
            for (Object o : (List<?>) Json.parse(SharedData.reference(model + ".json"))) {
                Map<String, Object> run = map(o);
                String prompt = (String) run.get("prompt");
                boolean addBos = (Boolean) run.get("add_bos");
                boolean parseSpecial = (Boolean) run.get("parse_special");
                int[] expected = ints(run.get("prompt_ids"));
                tests.add(dynamicTest(model + ": " + shown(prompt),
                        () -> assertIds(expected, tokenizer(gguf).encode(prompt, addBos, parseSpecial), prompt)));
            }
        }
        return tests.stream();
    }

    /** Every SentencePiece vocabulary (Baichuan included, which has no test inputs) decodes what it encodes. */
    @TestFactory
    Stream<DynamicNode> everySentencePieceVocabularyRoundTrips() throws IOException {
        Path inputs = tokenizerDir().resolve("llamacpp-tests").resolve("ggml-vocab-llama-spm.gguf.inp");
        List<String> texts = splitCases(Files.readString(inputs, StandardCharsets.UTF_8));
        List<DynamicNode> tests = new ArrayList<>();
        try (Stream<Path> files = Files.list(tokenizerDir().resolve("vocab"))) {
            for (Path vocab : files.sorted().toList()) {
                String model;
                try (GgufFile f = GgufFile.open(vocab)) {
                    model = f.getString(VocabularyLoader.MODEL);
                }
                if (!model.equals("llama")) {
                    continue;
                }
                tests.add(dynamicTest(vocab.getFileName().toString(), () -> {
                    Tokenizer t = tokenizer(vocab);
                    assertEquals(TokenizerModel.LLAMA, t.vocabulary().model());
                    for (String text : texts) {
                        String expected = (t.vocabulary().addSpacePrefix() && !text.isEmpty() ? " " : "") + text;
                        assertEquals(expected, t.decode(t.encode(text, false, false)), "round trip of " + shown(text));
                    }
                }));
            }
        }
        return tests.stream();
    }

    static Tokenizer tokenizer(Path gguf) {
        return TOKENIZERS.computeIfAbsent(gguf, p -> {
            try (GgufFile f = GgufFile.open(p)) {
                Vocabulary v = VocabularyLoader.fromGguf(f);
                return Tokenizer.of(v);
            }
        });
    }

    /** The cases of a llama.cpp {@code .inp} file: separated by {@link #SEPARATOR}, which may also end the file. */
    static List<String> splitCases(String inp) {
        if (inp.endsWith(SEPARATOR)) {
            inp = inp.substring(0, inp.length() - SEPARATOR.length());
        }
        return Arrays.asList(inp.split(SEPARATOR, -1));
    }

    private static void assertIds(int[] expected, int[] actual, String text) {
        assertArrayEquals(expected, actual, () -> "text " + shown(text) + "\n  expected " + Arrays.toString(expected)
                + "\n  actual   " + Arrays.toString(actual));
    }

    private static Path tokenizerDir() {
        return SharedData.root().resolve("tokenizer");
    }

    private static int[] ids(String line) {
        String s = line.strip();
        return s.isEmpty() ? new int[0] : Arrays.stream(s.split(" +")).mapToInt(Integer::parseInt).toArray();
    }

    private static int[] ints(Object list) {
        return ((List<?>) list).stream().mapToInt(v -> ((Number) v).intValue()).toArray();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    /** The text for a test name: quoted, with control characters escaped, cut at 60 characters. */
    private static String shown(String text) {
        StringBuilder sb = new StringBuilder("\"");
        text.codePoints().limit(60).forEach(c -> {
            if (c < 0x20) {
                sb.append(c == '\n' ? "\\n" : c == '\t' ? "\\t" : String.format("\\u%04x", c));
            } else {
                sb.appendCodePoint(c);
            }
        });
        return sb.append(text.codePointCount(0, text.length()) > 60 ? "…\"" : "\"").toString();
    }
}
