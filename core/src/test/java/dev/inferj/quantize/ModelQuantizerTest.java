package dev.inferj.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.inferj.SharedData;
import dev.inferj.UnsupportedModelException;
import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufTensorInfo;
import dev.inferj.gguf.GgufValue;
import dev.inferj.gguf.GgufWriter;
import dev.inferj.ggml.GgmlType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ModelQuantizer} makes the files llama.cpp's {@code llama-quantize} makes: the shared
 * test data holds llama-quantize's own outputs (MANIFEST.json records each command), and
 * quantizing the same F32 input gives the same tensor types, the same tensor bytes and, in the
 * end, the same file.
 */
class ModelQuantizerTest {
    @TempDir
    Path tmp;

    /** llama-quantize's outputs in the shared data: input, output, TYPE and whether {@code --pure}. */
    static Stream<Arguments> llamaQuantizeOutputs() {
        String dense = "llama-dense-f32.gguf";
        return Stream.of(
                Arguments.of(dense, "llama-dense-q4_1.gguf", QuantizationMix.Q4_1, false),
                Arguments.of(dense, "llama-dense-q5_0.gguf", QuantizationMix.Q5_0, false),
                Arguments.of(dense, "llama-dense-q5_1.gguf", QuantizationMix.Q5_1, false),
                Arguments.of(dense, "llama-dense-q2_k.gguf", QuantizationMix.Q2_K, false),
                Arguments.of(dense, "llama-dense-q3_k_s.gguf", QuantizationMix.Q3_K_S, false),
                Arguments.of(dense, "llama-dense-q4_k_s.gguf", QuantizationMix.Q4_K_S, false),
                Arguments.of(dense, "llama-dense-q4_k_m.gguf", QuantizationMix.Q4_K_M, false),
                Arguments.of(dense, "llama-dense-q5_k_m.gguf", QuantizationMix.Q5_K_M, false),
                Arguments.of(dense, "llama-dense-q6_k.gguf", QuantizationMix.Q6_K, false),
                Arguments.of(dense, "llama-dense-q4_k-pure.gguf", QuantizationMix.Q4_K_M, true),
                Arguments.of(dense, "llama-dense-q5_k-pure.gguf", QuantizationMix.Q5_K_M, true),
                Arguments.of("llama-moe-f32.gguf", "llama-moe-q4_k_m.gguf", QuantizationMix.Q4_K_M, false));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("llamaQuantizeOutputs")
    void reproducesLlamaQuantizeTensorTypesAndBytes(String input, String expected, QuantizationMix mix, boolean pure) {
        Path out = tmp.resolve(expected);
        ModelQuantizer.quantize(SharedData.model(input), out, QuantizeOptions.of(mix).withPure(pure).withThreads(2));
        try (GgufFile ours = GgufFile.open(out); GgufFile theirs = GgufFile.open(SharedData.model(expected))) {
            assertEquals(names(theirs), names(ours), "tensor order");
            for (GgufTensorInfo t : theirs.tensors()) {
                GgufTensorInfo o = ours.tensor(t.name());
                assertEquals(t.type(), o.type(), t.name() + " type");
                long mismatch = theirs.data(t).mismatch(ours.data(o));
                if (mismatch >= 0) {
                    fail(t.name() + " (" + t.type() + "): first differing byte at offset " + mismatch + " of "
                            + t.byteSize() + " (block " + mismatch / t.type().bytesPerBlock() + ")");
                }
            }
            assertEquals(List.copyOf(theirs.metadata().entrySet()), List.copyOf(ours.metadata().entrySet()), "metadata");
            assertEquals(-1, theirs.contents().mismatch(ours.contents()), "first differing byte of the file");
        }
    }

    private static List<String> names(GgufFile f) {
        return f.tensors().stream().map(GgufTensorInfo::name).toList();
    }

    @Test
    void setsTheMixFileTypeAndQuantizationVersionLastAndKeepsAllOtherMetadata() {
        Path out = tmp.resolve("q5_k_s.gguf");
        ModelQuantizer.quantize(SharedData.model("llama-dense-f32.gguf"), out, QuantizeOptions.of(QuantizationMix.Q5_K_S));
        try (GgufFile in = GgufFile.open(SharedData.model("llama-dense-f32.gguf")); GgufFile q = GgufFile.open(out)) {
            List<Map.Entry<String, GgufValue>> entries = List.copyOf(q.metadata().entrySet());
            int n = entries.size();
            assertEquals(Map.entry(GgufFile.QUANTIZATION_VERSION_KEY, GgufValue.ofUInt32(2)), entries.get(n - 2));
            assertEquals(Map.entry(GgufFile.FILE_TYPE_KEY, GgufValue.ofUInt32(16)), entries.get(n - 1));
            in.metadata().forEach((key, value) -> {
                if (!key.equals(GgufFile.FILE_TYPE_KEY)) {
                    assertEquals(value, q.value(key), key);
                }
            });
        }
    }

    @Test
    void manyThreadsWriteTheSameBytesAsOne() throws IOException {
        Path one = tmp.resolve("one.gguf");
        Path three = tmp.resolve("three.gguf");
        QuantizeOptions options = QuantizeOptions.of(QuantizationMix.Q4_K_M);
        ModelQuantizer.quantize(SharedData.model("llama-moe-f32.gguf"), one, options.withThreads(1));
        ModelQuantizer.quantize(SharedData.model("llama-moe-f32.gguf"), three, options.withThreads(3));
        assertEquals(-1, Files.mismatch(one, three));
    }

    @Test
    void requantizesQ8_0FromItsDequantizedValues() {
        Path out = tmp.resolve("from-q8_0.gguf");
        QuantizeResult result = ModelQuantizer.quantize(SharedData.model("llama-dense-q8_0.gguf"), out,
                QuantizeOptions.of(QuantizationMix.Q6_K));
        assertEquals(8, result.converted());
        try (GgufFile q = GgufFile.open(out)) {
            assertEquals(GgmlType.Q6_K, q.tensor("blk.0.ffn_down.weight").type());
            assertEquals(GgmlType.F32, q.tensor("output_norm.weight").type());
        }
    }

    @Test
    void anInputTensorOfAnotherQuantizedTypeIsATypedErrorAndNothingIsWritten() throws IOException {
        Path out = tmp.resolve("from-q4_k.gguf");
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> ModelQuantizer.quantize(
                SharedData.model("llama-dense-q4_k_m.gguf"), out, QuantizeOptions.of(QuantizationMix.Q8_0)));
        assertTrue(e.getMessage().contains("llama-dense-q4_k_m.gguf"), e.getMessage());
        assertTrue(e.getMessage().contains("tensor token_embd.weight is Q6_K"), e.getMessage());
        assertFalse(Files.exists(out));
        try (var left = Files.list(tmp)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith("from-q4_k.gguf")),
                    "no temporary file left behind");
        }
    }

    @Test
    void aTensorAlreadyOfItsTargetTypeIsCopiedAsItIs() throws IOException {
        Path out = tmp.resolve("again.gguf");
        QuantizeResult result = ModelQuantizer.quantize(SharedData.model("llama-dense-q6_k.gguf"), out,
                QuantizeOptions.of(QuantizationMix.Q6_K));
        assertEquals(0, result.converted());
        assertEquals(-1, Files.mismatch(SharedData.model("llama-dense-q6_k.gguf"), out));
    }

    @Test
    void aFailureWhileWritingLeavesNeitherTheOutputNorATemporaryFile() throws IOException {
        Path in = tmp.resolve("small.gguf");
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValue.ofString("llama"));
        w.addTensor("blk.0.ffn_up.weight", GgmlType.F32, new long[] {32, 2}, new byte[256]);
        w.write(in);
        Path out = tmp.resolve("out.gguf");
        RuntimeException boom = new RuntimeException("listener failed");
        QuantizeOptions options = QuantizeOptions.of(QuantizationMix.Q8_0).withListener(p -> {
            throw boom;
        });
        assertEquals(boom, assertThrows(RuntimeException.class, () -> ModelQuantizer.quantize(in, out, options)));
        assertFalse(Files.exists(out));
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of(in), files.toList());
        }
    }

    @Test
    void tellsTheListenerOfEveryTensorInOutputOrderUpToTheTotal() {
        List<QuantizeListener.Progress> seen = new ArrayList<>();
        QuantizeResult result = ModelQuantizer.quantize(SharedData.model("llama-dense-f32.gguf"), tmp.resolve("q.gguf"),
                QuantizeOptions.of(QuantizationMix.Q4_K_M).withListener(seen::add));
        assertEquals(11, result.tensors());
        assertEquals("output_norm.weight", seen.getFirst().name());
        QuantizeListener.Progress last = seen.getLast();
        assertEquals("blk.0.ffn_up.weight", last.name());
        assertEquals(10, last.tensor());
        assertEquals(result.outputBytes(), last.bytesDone());
        assertEquals(last.bytesTotal(), last.bytesDone());
        assertTrue(seen.stream().anyMatch(p -> p.name().equals("token_embd.weight") && p.from() == GgmlType.F32
                && p.to() == GgmlType.Q6_K));
    }
}
