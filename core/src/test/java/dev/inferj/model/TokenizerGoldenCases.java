package dev.inferj.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.inferj.Json;
import dev.inferj.SharedData;
import dev.inferj.gguf.GgufFile;
import dev.inferj.tokenizer.Tokenizer;
import dev.inferj.tokenizer.Vocabulary;
import java.io.IOException;
import java.io.UncheckedIOException;
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

/**
 * The tokenizer references in shared/tokenizer, as dynamic tests: llama.cpp's own test inputs
 * ({@code llamacpp-tests/*.inp|.out}: no BOS, special tokens not parsed), the hard cases of
 * {@code reference/<family>.jsonl} with their own flags, and the cases where llama.cpp departs
 * from the model's own tokenizer ({@code <family>.disagreements.jsonl}), where llama.cpp is the
 * reference. Tokenizers are loaded once per vocabulary file.
 */
final class TokenizerGoldenCases {
    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";
    private static final Map<Path, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();

    private TokenizerGoldenCases() {
    }

    /** One container per llama.cpp test file, by test name ({@code ggml-vocab-<name>.gguf.inp}) → vocabulary file. */
    static Stream<DynamicNode> llamaCppTestInputs(Map<String, String> vocabularyOfTest) throws IOException {
        Path dir = tokenizerDir().resolve("llamacpp-tests");
        List<DynamicNode> files = new ArrayList<>();
        for (var e : vocabularyOfTest.entrySet()) {
            Path inp = dir.resolve("ggml-vocab-" + e.getKey() + ".gguf.inp");
            Path out = dir.resolve("ggml-vocab-" + e.getKey() + ".gguf.out");
            Path vocab = vocabulary(e.getValue());
            List<String> texts = llamaCppInputs(inp);
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

    /** One container per family: {@code reference/<family>.jsonl} and its disagreements, on {@code ggml-vocab-<family>.gguf}. */
    static Stream<DynamicNode> hardCaseReferences(List<String> families) {
        List<DynamicNode> files = new ArrayList<>();
        for (String family : families) {
            Path vocab = vocabulary("ggml-vocab-" + family + ".gguf");
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

    /** The vocabulary files in shared/tokenizer/vocab whose {@code tokenizer.ggml.model} is {@code model}, sorted. */
    static List<Path> vocabularies(String model) throws IOException {
        List<Path> found = new ArrayList<>();
        try (Stream<Path> files = Files.list(tokenizerDir().resolve("vocab"))) {
            for (Path vocab : files.sorted().toList()) {
                try (GgufFile f = GgufFile.open(vocab)) {
                    if (f.getString(VocabularyLoader.MODEL).equals(model)) {
                        found.add(vocab);
                    }
                }
            }
        }
        return found;
    }

    /** The texts of every llama.cpp test input file. */
    static List<String> allLlamaCppInputs() throws IOException {
        List<String> texts = new ArrayList<>();
        try (Stream<Path> files = Files.list(tokenizerDir().resolve("llamacpp-tests"))) {
            for (Path inp : files.filter(p -> p.toString().endsWith(".inp")).sorted().toList()) {
                texts.addAll(llamaCppInputs(inp));
            }
        }
        return texts;
    }

    static List<String> llamaCppInputs(String test) {
        return llamaCppInputs(tokenizerDir().resolve("llamacpp-tests").resolve("ggml-vocab-" + test + ".gguf.inp"));
    }

    /** The cases of a llama.cpp {@code .inp} file: separated by {@link #SEPARATOR}, which may also end the file. */
    private static List<String> llamaCppInputs(Path inp) {
        String s;
        try {
            s = Files.readString(inp, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (s.endsWith(SEPARATOR)) {
            s = s.substring(0, s.length() - SEPARATOR.length());
        }
        return Arrays.asList(s.split(SEPARATOR, -1));
    }

    static Tokenizer tokenizer(Path gguf) {
        return TOKENIZERS.computeIfAbsent(gguf, p -> {
            try (GgufFile f = GgufFile.open(p)) {
                Vocabulary v = VocabularyLoader.fromGguf(f);
                return Tokenizer.of(v);
            }
        });
    }

    static Path vocabulary(String file) {
        return tokenizerDir().resolve("vocab").resolve(file);
    }

    static void assertIds(int[] expected, int[] actual, String text) {
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

    static int[] ints(Object list) {
        return ((List<?>) list).stream().mapToInt(v -> ((Number) v).intValue()).toArray();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    /** The text for a test name: quoted, with control characters escaped, cut at 60 characters. */
    static String shown(String text) {
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
