package dev.inferj.model;

import static dev.inferj.model.TokenizerGoldenCases.shown;
import static dev.inferj.model.TokenizerGoldenCases.tokenizer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

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
 * Byte-level BPE tokenization against llama.cpp (commit in shared/README.md) on every byte-level
 * vocabulary in shared/tokenizer: llama.cpp's own test inputs (no BOS, special tokens not parsed),
 * the Llama 3 and Qwen 2 hard-case references with their own flags, and the cases where
 * llama.cpp departs from the model's own tokenizer (we follow llama.cpp: Qwen's {@code café}
 * written with a combining accent, which the model's tokenizer first normalizes to NFC and
 * llama.cpp does not; Qwen's {@code </s>}, which llama.cpp parses as a special token by its text).
 *
 * <p>Not here: {@code bert-bge} (a WordPiece vocabulary, which inferj does not load), and
 * {@code command-r} (no vocabulary file in shared/tokenizer). {@code gpt-neox} has a vocabulary
 * but no test inputs: it is only round-tripped.
 */
class ByteLevelBpeGoldenTest {

    @TestFactory
    Stream<DynamicNode> llamaCppTestInputs() throws IOException {
        return TokenizerGoldenCases.llamaCppTestInputs(Map.of(
                "gpt-2", "ggml-vocab-gpt-2.gguf",
                "falcon", "ggml-vocab-falcon.gguf",
                "mpt", "ggml-vocab-mpt.gguf",
                "starcoder", "ggml-vocab-starcoder.gguf",
                "refact", "ggml-vocab-refact.gguf",
                "deepseek-llm", "ggml-vocab-deepseek-llm.gguf",
                "deepseek-coder", "ggml-vocab-deepseek-coder.gguf",
                "llama-bpe", "ggml-vocab-llama3-bpe.gguf",
                "qwen2", "ggml-vocab-qwen2-bpe.gguf",
                "qwen35", "ggml-vocab-qwen2-bpe.gguf"));
    }

    @TestFactory
    Stream<DynamicNode> hardCaseReferences() {
        return TokenizerGoldenCases.hardCaseReferences(List.of("llama3-bpe", "qwen2-bpe"));
    }

    /** Every byte-level vocabulary decodes, byte for byte, what it encodes: every llama.cpp test input, with and without special tokens parsed. */
    @TestFactory
    Stream<DynamicNode> everyByteLevelVocabularyRoundTrips() throws IOException {
        List<String> texts = TokenizerGoldenCases.allLlamaCppInputs();
        List<DynamicNode> tests = new ArrayList<>();
        for (Path vocab : TokenizerGoldenCases.vocabularies("gpt2")) {
            tests.add(dynamicTest(vocab.getFileName().toString(), () -> {
                Tokenizer t = tokenizer(vocab);
                assertEquals(TokenizerModel.GPT2, t.vocabulary().model());
                for (String text : texts) {
                    assertEquals(text, t.decode(t.encode(text, false, false)), "round trip of " + shown(text));
                    int[] ids = t.encode(text, true, true);
                    assertArrayEquals(ids, t.encode(text, true, true), "encoding twice " + shown(text));
                }
            }));
        }
        return tests.stream();
    }
}
