package dev.inferj.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.GgufFormatException;
import dev.inferj.InferjException;
import dev.inferj.Model;
import dev.inferj.ModelOptions;
import dev.inferj.Session;
import dev.inferj.SharedData;
import dev.inferj.UnsupportedModelException;
import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufTensorInfo;
import dev.inferj.gguf.GgufValue;
import dev.inferj.gguf.GgufWriter;
import dev.inferj.ggml.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Well-formed GGUF files with hostile model contents: absurd hyper-parameters, wrong shapes,
 * non-finite weights. Each fails with a typed exception naming the problem, fast, before any
 * large allocation.
 */
class HostileModelTest {
    @TempDir
    Path dir;

    /** A copy of the small dense model with {@code edit} applied. */
    private Path variant(String base, Consumer<GgufWriter> edit) {
        return ModelVariants.of(base, dir.resolve("variant.gguf"), edit);
    }

    private static <T extends Throwable> T loadFails(Class<T> type, Path file, String... fragments) {
        T e = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertThrows(type, () -> {
            try (Model m = Model.load(file, ModelOptions.defaults().withContextLength(64))) {
                m.newSession().close();
            }
        }));
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "message \"" + e.getMessage() + "\" should mention " + fragment);
        }
        return e;
    }

    @ParameterizedTest
    @CsvSource({
            "llama.block_count, 0",
            "llama.embedding_length, 0",
            "llama.attention.head_count, 0",
            "llama.attention.head_count_kv, 0",
            "llama.feed_forward_length, 0",
            "llama.embedding_length, 4294967295",
            "llama.block_count, 1000000",
            "llama.attention.head_count, 3",
            "llama.attention.head_count_kv, 3",
            "llama.rope.dimension_count, 1000",
    })
    void absurdHyperParameterIsRejected(String key, long value) {
        Path file = variant("llama-dense-f32.gguf", w -> w.replace(key, GgufValue.ofUInt32(value)));
        loadFails(GgufFormatException.class, file, key.substring("llama.".length()).split("\\.")[0]);
    }

    @Test
    void moreExpertsUsedThanThereAreIsRejected() {
        Path file = variant("llama-moe-q8_0.gguf", w -> w.replace("llama.expert_used_count", GgufValue.ofUInt32(9)));
        loadFails(GgufFormatException.class, file, "llama.expert_used_count", "9");
    }

    @Test
    void missingHyperParameterIsNamed() {
        Path file = variant("llama-dense-f32.gguf", w -> w.remove("llama.embedding_length"));
        loadFails(GgufFormatException.class, file, "llama.embedding_length", "missing");
    }

    @Test
    void hyperParameterOfWrongTypeIsNamed() {
        Path file = variant("llama-dense-f32.gguf", w -> w.replace("llama.block_count", GgufValue.ofString("one")));
        loadFails(GgufFormatException.class, file, "llama.block_count", "STRING");
    }

    @Test
    void negativeOrNanRopeBaseIsRejected() {
        for (float base : new float[] {-1f, Float.NaN, 0f}) {
            Path file = variant("llama-dense-f32.gguf", w -> w.replace("llama.rope.freq_base", GgufValue.ofFloat32(base)));
            loadFails(GgufFormatException.class, file, "freq_base");
        }
    }

    @Test
    void unknownArchitectureIsUnsupported() {
        Path file = variant("llama-dense-f32.gguf", w -> w.replace("general.architecture", GgufValue.ofString("mamba9")));
        loadFails(UnsupportedModelException.class, file, "mamba9");
    }

    @Test
    void missingTensorIsNamed() {
        Path file = variant("llama-dense-f32.gguf", w -> w.removeTensor("blk.0.ffn_down.weight"));
        loadFails(GgufFormatException.class, file, "blk.0.ffn_down.weight", "missing");
    }

    @Test
    void tensorOfWrongShapeIsNamed() {
        Path file = variant("llama-dense-f32.gguf", w -> {
            w.removeTensor("blk.0.attn_norm.weight");
            w.addTensor("blk.0.attn_norm.weight", GgmlType.F32, new long[] {128}, new byte[128 * 4]);
        });
        loadFails(GgufFormatException.class, file, "blk.0.attn_norm.weight", "shape");
    }

    @Test
    void unsupportedTensorTypeIsNamed() {
        Path file = variant("llama-dense-f32.gguf", w -> {
            w.removeTensor("blk.0.ffn_down.weight");
            w.addTensor("blk.0.ffn_down.weight", GgmlType.IQ2_XXS, new long[] {256, 256},
                    new byte[(int) GgmlType.IQ2_XXS.byteSize(256L * 256)]);
        });
        loadFails(UnsupportedModelException.class, file, "blk.0.ffn_down.weight", "IQ2_XXS");
    }

    /** The format requires UTF-8 keys; llama.cpp's would be garbled lookups. The bytes of one key are made invalid. */
    @Test
    void aKeyThatIsNotUtf8IsRejectedNamingItsOffset() throws java.io.IOException {
        Path file = variant("stories260K.gguf", w -> w.put("zz.zzzz", dev.inferj.gguf.GgufValue.ofString("x")));
        byte[] bytes = java.nio.file.Files.readAllBytes(file);
        byte[] key = "zz.zzzz".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int at = indexOf(bytes, key);
        bytes[at + 2] = (byte) 0xC3; // a lead byte followed by '.': not UTF-8
        java.nio.file.Files.write(file, bytes);
        loadFails(GgufFormatException.class, file, "metadata key is not UTF-8", "offset");
    }

    private static int indexOf(byte[] in, byte[] what) {
        outer:
        for (int i = 0; i + what.length <= in.length; i++) {
            for (int j = 0; j < what.length; j++) {
                if (in[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    /** Token types are INT32 in the format; llama.cpp refuses another width, and so does inferj. */
    @Test
    void tokenTypesOfAnotherWidthAreRejected() {
        Path file = variant("stories260K.gguf", w -> {
            long[] types = new long[512];
            java.util.Arrays.fill(types, 1);
            w.replace(VocabularyLoader.TOKEN_TYPE, dev.inferj.gguf.GgufValue.ofInts(dev.inferj.gguf.GgufValueType.UINT8, types));
        });
        loadFails(GgufFormatException.class, file, VocabularyLoader.TOKEN_TYPE, "UINT8");
    }

    @Test
    void vocabularyOnlyFileHasNoWeights() {
        Path vocab = SharedData.root().resolve("tokenizer/vocab/ggml-vocab-llama-spm.gguf");
        loadFails(GgufFormatException.class, vocab, "token_embd.weight", "missing");
    }

    @Test
    void nanInNormWeightsIsRejectedAtLoad() {
        Path file = variant("llama-dense-f32.gguf", w -> replaceWithNaN(w, "blk.0.ffn_norm.weight", 256, 7));
        loadFails(GgufFormatException.class, file, "blk.0.ffn_norm.weight", "NaN");
    }

    @Test
    void nanInAMatrixGivesAClearErrorNotGarbage() {
        Path file = variant("llama-dense-f32.gguf", w -> replaceWithNaN(w, "blk.0.attn_v.weight", 256 * 128, 300));
        try (Model m = Model.load(file, ModelOptions.defaults().withContextLength(64)); Session s = m.newSession()) {
            InferjException e = assertThrows(InferjException.class, () -> s.evaluate(1, 2, 3));
            assertTrue(e.getMessage().contains("blk.0.attn_v.weight"), e.getMessage());
        }
    }

    @Test
    void anInfiniteBlockScaleIsRejectedWhenTheWeightsAreTiled() {
        Path file = variant("llama-dense-q8_0.gguf", w -> infiniteScale(w, "blk.0.ffn_up.weight", 37));
        loadFails(GgufFormatException.class, file, "blk.0.ffn_up.weight", "block 5", "non-finite scale");
    }

    /** Block {@code block} of a Q8_0 tensor gets the F16 scale +infinity. */
    private static void infiniteScale(GgufWriter w, String name, int block) {
        try (GgufFile f = GgufFile.open(SharedData.model("llama-dense-q8_0.gguf"))) {
            GgufTensorInfo t = f.tensor(name);
            MemorySegment data = Arena.ofAuto().allocate(t.byteSize());
            data.copyFrom(f.data(t));
            data.set(ValueLayout.JAVA_SHORT_UNALIGNED, 34L * block, (short) 0x7c00);
            w.removeTensor(name);
            w.addTensor(name, GgmlType.Q8_0, t.dims(), data);
        }
    }

    private static void replaceWithNaN(GgufWriter w, String name, int elements, int index) {
        MemorySegment data = Arena.ofAuto().allocate(4L * elements);
        for (int i = 0; i < elements; i++) {
            data.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, 0.01f);
        }
        data.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, index, Float.NaN);
        long[] dims = elements == 256 ? new long[] {256} : new long[] {256, elements / 256};
        w.removeTensor(name);
        w.addTensor(name, GgmlType.F32, dims, data);
    }
}
