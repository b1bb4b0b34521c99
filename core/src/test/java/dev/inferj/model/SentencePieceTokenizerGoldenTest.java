package dev.inferj.model;

import static dev.inferj.model.TokenizerGoldenCases.assertIds;
import static dev.inferj.model.TokenizerGoldenCases.ints;
import static dev.inferj.model.TokenizerGoldenCases.map;
import static dev.inferj.model.TokenizerGoldenCases.shown;
import static dev.inferj.model.TokenizerGoldenCases.tokenizer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.inferj.Json;
import dev.inferj.SharedData;
import dev.inferj.tokenizer.Tokenizer;
import dev.inferj.tokenizer.TokenizerModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

    @TestFactory
    Stream<DynamicNode> llamaCppTestInputs() throws IOException {
        return TokenizerGoldenCases.llamaCppTestInputs(Map.of(
                "llama-spm", "ggml-vocab-llama-spm.gguf",
                "phi-3", "ggml-vocab-phi-3.gguf",
                "gemma-4", "ggml-vocab-gemma3-spm.gguf"));
    }

    @TestFactory
    Stream<DynamicNode> hardCaseReferences() {
        return TokenizerGoldenCases.hardCaseReferences(List.of("mistral-spm", "gemma3-spm"));
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
        List<String> texts = TokenizerGoldenCases.llamaCppInputs("llama-spm");
        List<DynamicNode> tests = new ArrayList<>();
        for (Path vocab : TokenizerGoldenCases.vocabularies("llama")) {
            tests.add(dynamicTest(vocab.getFileName().toString(), () -> {
                Tokenizer t = tokenizer(vocab);
                assertEquals(TokenizerModel.LLAMA, t.vocabulary().model());
                for (String text : texts) {
                    String expected = (t.vocabulary().addSpacePrefix() && !text.isEmpty() ? " " : "") + text;
                    assertEquals(expected, t.decode(t.encode(text, false, false)), "round trip of " + shown(text));
                }
            }));
        }
        return tests.stream();
    }
}
