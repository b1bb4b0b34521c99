package dev.inferj.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.GenerateOptions;
import dev.inferj.Generation;
import dev.inferj.LoadTimings;
import dev.inferj.Model;
import dev.inferj.ModelOptions;
import dev.inferj.Session;
import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufTensorInfo;
import dev.inferj.ggml.GgmlType;
import dev.inferj.kernels.Kernels;
import dev.inferj.kernels.WeightMatrix;
import dev.inferj.model.ForgedModel.Shape;
import dev.inferj.quantize.ModelQuantizer;
import dev.inferj.quantize.QuantizationMix;
import dev.inferj.quantize.QuantizeOptions;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Forged models: loadable, runnable, deterministic, of the advertised shapes. */
class ForgedModelTest {

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q5_1", "Q3_K", "Q6_K"})
    void tinyInEachTypeLoadsAndRunsWithFiniteLogits(GgmlType type, @TempDir Path dir) {
        Path file = dir.resolve("tiny.gguf");
        ForgedModel.of(Shape.TINY, type, 7).write(file, 2);
        try (Model model = Model.load(file, ModelOptions.defaults().withThreads(2).withContextLength(64));
             Session session = model.newSession()) {
            assertEquals(Shape.TINY.vocabularySize(), model.info().vocabularySize());
            LoadTimings t = model.loadTimings();
            assertTrue(t.mapNanos() > 0 && t.weightsNanos() > 0, t.toString());
            assertTrue(t.totalNanos() >= t.mapNanos() + t.vocabularyNanos() + t.weightsNanos(), t.toString());
            float[] logits = session.evaluate(1, 300, 1000, 2047);
            assertEquals(2048, logits.length);
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (float l : logits) {
                assertTrue(Float.isFinite(l), "logits are finite");
                min = Math.min(min, l);
                max = Math.max(max, l);
            }
            assertTrue(max - min > 1f && max < 100f, "logits spread but stay moderate: " + min + " .. " + max);
            Generation g = session.generate("Once upon a time", GenerateOptions.greedy().withMaxTokens(8), null);
            assertTrue(g.tokens().length > 0);
            // the warm-up ended before the first evaluate returned: this prompt waited for none of it
            assertEquals(0, g.timings().warmUpWaitNanos(), g.timings().toString());
        }
    }

    @Test
    void aMixtureOfExpertsShapeLoadsAndRuns(@TempDir Path dir) {
        Path file = dir.resolve("tiny-moe.gguf");
        ForgedModel.of(Shape.TINY_MOE, GgmlType.Q8_0, 3).write(file, 2);
        try (Model model = Model.load(file, ModelOptions.defaults().withThreads(1).withContextLength(32));
             Session session = model.newSession()) {
            for (float l : session.evaluate(1, 500, 600)) {
                assertTrue(Float.isFinite(l));
            }
        }
    }

    @Test
    void aFalconShapeLoadsAndRunsWithItsTensors(@TempDir Path dir) {
        Shape falcon = new Shape("tiny-falcon", 128, 2, 4, 1, 512, 2048, 4096, 10000f, 1e-5f, 0, 0, Architecture.FALCON);
        Path file = dir.resolve("tiny-falcon.gguf");
        ForgedModel.of(falcon, GgmlType.Q8_0, 5).write(file, 2);
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals("falcon", f.getString("general.architecture"));
            assertTensor(f, "blk.1.attn_qkv.weight", GgmlType.Q8_0, 128, 128 + 2 * 32);
            assertTensor(f, "blk.1.attn_norm.bias", GgmlType.F32, 128);
            assertTensor(f, "output_norm.bias", GgmlType.F32, 128);
            assertEquals(null, f.tensor("blk.0.ffn_gate.weight"));
        }
        try (Model model = Model.load(file, ModelOptions.defaults().withThreads(2).withContextLength(32));
             Session session = model.newSession()) {
            for (float l : session.evaluate(1, 500, 600)) {
                assertTrue(Float.isFinite(l));
            }
        }
    }

    @Test
    void mixtureOfExpertsTensorsAreLaidOutAsLlamaCppExpects() {
        byte[] bytes = ForgedModel.of(Shape.TINY_MOE, GgmlType.Q4_0, 1).toByteArray();
        GgufFile f = GgufFile.parse("tiny-moe", MemorySegment.ofArray(bytes));
        assertEquals(8, f.getInt("llama.expert_count", 0, 100));
        assertEquals(2, f.getInt("llama.expert_used_count", 0, 100));
        assertTensor(f, "blk.1.ffn_gate_inp.weight", GgmlType.F32, 128, 8);
        assertTensor(f, "blk.1.ffn_gate_exps.weight", GgmlType.Q4_0, 128, 256, 8);
        assertTensor(f, "blk.1.ffn_up_exps.weight", GgmlType.Q4_0, 128, 256, 8);
        assertTensor(f, "blk.1.ffn_down_exps.weight", GgmlType.Q4_0, 256, 128, 8);
        assertEquals(null, f.tensor("blk.0.ffn_gate.weight"));
    }

    @Test
    void theSameSeedGivesTheSameBytesWhateverTheThreadCount(@TempDir Path dir) throws IOException {
        byte[] once = ForgedModel.of(Shape.TINY, GgmlType.Q4_0, 11).toByteArray();
        byte[] again = ForgedModel.of(Shape.TINY, GgmlType.Q4_0, 11).toByteArray();
        assertArrayEquals(once, again);
        Path file = dir.resolve("threads.gguf");
        ForgedModel.of(Shape.TINY, GgmlType.Q4_0, 11).write(file, 3);
        assertArrayEquals(once, Files.readAllBytes(file));
    }

    @Test
    void aDifferentSeedGivesDifferentWeightsAndTheSameHeader() {
        byte[] a = ForgedModel.of(Shape.TINY, GgmlType.Q8_0, 1).toByteArray();
        byte[] b = ForgedModel.of(Shape.TINY, GgmlType.Q8_0, 2).toByteArray();
        assertEquals(a.length, b.length);
        assertFalse(java.util.Arrays.equals(a, b));
        GgufFile fa = GgufFile.parse("a", MemorySegment.ofArray(a));
        GgufFile fb = GgufFile.parse("b", MemorySegment.ofArray(b));
        assertEquals(fa.tensors(), fb.tensors());
        assertFalse(fa.data(fa.tensor("blk.0.attn_q.weight")).mismatch(fb.data(fb.tensor("blk.0.attn_q.weight"))) < 0);
    }

    @Test
    void everyTypeIsTheSameModelRounded() {
        GgufFile f32 = GgufFile.parse("f32", MemorySegment.ofArray(ForgedModel.of(Shape.TINY, GgmlType.F32, 5).toByteArray()));
        GgufFile f16 = GgufFile.parse("f16", MemorySegment.ofArray(ForgedModel.of(Shape.TINY, GgmlType.F16, 5).toByteArray()));
        float[] exact = row(f32, "blk.1.ffn_down.weight");
        float[] rounded = row(f16, "blk.1.ffn_down.weight");
        for (int i = 0; i < exact.length; i++) {
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(exact[i])), rounded[i]);
        }
    }

    @Test
    void weightsHaveTheScaleThatKeepsActivationsOfOrderOne() {
        GgufFile f = GgufFile.parse("f32", MemorySegment.ofArray(ForgedModel.of(Shape.TINY, GgmlType.F32, 5).toByteArray()));
        assertEquals(1 / Math.sqrt(128), std(rows(f, "blk.0.attn_q.weight")), 0.02 / Math.sqrt(128));
        assertEquals(1 / Math.sqrt(384) / Math.sqrt(2 * 2), std(rows(f, "blk.0.ffn_down.weight")), 0.001);
        assertEquals(1.0, mean(rows(f, "blk.0.attn_norm.weight")), 0.02);
        assertEquals(1.0, std(rows(f, "token_embd.weight")), 0.02);
    }

    @Test
    void vocabularyIsSentencePieceWithBytesAndUniquePieces() {
        GgufFile f = GgufFile.parse("tiny", MemorySegment.ofArray(ForgedModel.of(Shape.TINY, GgmlType.Q4_0, 1).toByteArray()));
        String[] tokens = f.getStringArray("tokenizer.ggml.tokens");
        assertEquals(2048, tokens.length);
        assertEquals("llama", f.getString("tokenizer.ggml.model"));
        assertEquals("<unk>", tokens[0]);
        assertEquals("<s>", tokens[1]);
        assertEquals("</s>", tokens[2]);
        assertEquals("<0x00>", tokens[3]);
        assertEquals("<0xFF>", tokens[258]);
        assertEquals(tokens.length, java.util.Set.of(tokens).size(), "no piece twice");
        int[] ids = dev.inferj.tokenizer.Tokenizer.of(VocabularyLoader.fromGguf(f)).encode("Once upon a time", true, false);
        assertEquals(1, ids[0]);
        assertTrue(ids.length < 1 + "Once upon a time".length(), "some pieces merge");
    }

    @Test
    void namedShapesHaveTheParameterCountsOfTheModelsTheyImitate() {
        assertEquals(7_241_732_096L, Shape.named("mistral-7b").parameterCount());
        assertEquals(8_030_261_248L, Shape.named("llama3-8b").parameterCount());
        assertEquals(46_702_792_704L, Shape.named("mixtral-8x7b").parameterCount());
        assertEquals(7_217_189_760L, Shape.named("falcon-7b").parameterCount()); // llama.cpp: 7.22 B
        assertEquals(4, Shape.named("mistral-7b").withBlockCount(4).blockCount());
    }

    @Test
    void aMistral7bQ4_0FileHoldsEveryMatrixInQ4_0AndTheNormsInF32() {
        long norms = (2 * 32 + 1) * 4096L;
        long matrices = 7_241_732_096L - norms;
        long tensorBytes = matrices / 32 * 18 + norms * 4; // 4 074 389 504
        long size = ForgedModel.of(Shape.MISTRAL_7B, GgmlType.Q4_0, 1).byteSize();
        assertTrue(size > tensorBytes && size < tensorBytes + (2 << 20), "size " + size + ", tensors " + tensorBytes);
    }

    @Test
    void refusesAnUnknownShapeAndAnUnsupportedType() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.named("gpt-5"));
        assertTrue(e.getMessage().contains("mistral-7b"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ForgedModel.of(Shape.TINY, GgmlType.IQ2_XS, 1));
    }

    /** 256-wide rows but a feed-forward of 288: its down projection's rows are not a whole number of super-blocks. */
    private static final Shape K_QUANT_SHAPE = new Shape("k-quant", 256, 2, 4, 2, 288, 512, 1024, 10000f, 1e-5f, 0, 0);

    @Test
    void aTypeGoesToEveryMatrixFallingBackAsLlamaCppDoesWhereItsBlocksDoNotDivideTheRows() {
        GgufFile f = GgufFile.parse("q4_k", MemorySegment.ofArray(ForgedModel.of(K_QUANT_SHAPE, GgmlType.Q4_K, 1)
                .toByteArray()));
        assertEquals(15, f.getInt(GgufFile.FILE_TYPE_KEY, 0, 100), "llama-quantize --pure Q4_K_M's file type");
        assertTensor(f, "output.weight", GgmlType.Q4_K, 256, 512);
        assertTensor(f, "blk.1.attn_v.weight", GgmlType.Q4_K, 256, 128);
        assertTensor(f, "blk.1.ffn_down.weight", GgmlType.Q5_0, 288, 256);
        assertTensor(f, "blk.1.ffn_norm.weight", GgmlType.F32, 256);
    }

    @Test
    void aMixIsForgedAsInferjQuantizeQuantizesTheF32Forge(@TempDir Path dir) {
        Path f32 = dir.resolve("f32.gguf");
        Path quantized = dir.resolve("q4_k_m.gguf");
        ForgedModel.of(K_QUANT_SHAPE, GgmlType.F32, 9).write(f32, 2);
        ModelQuantizer.quantize(f32, quantized, QuantizeOptions.of(QuantizationMix.Q4_K_M).withThreads(2));
        GgufFile forged = GgufFile.parse("forged", MemorySegment.ofArray(
                ForgedModel.of(K_QUANT_SHAPE, QuantizationMix.Q4_K_M, 9).toByteArray()));
        try (GgufFile expected = GgufFile.open(quantized)) {
            assertEquals(expected.tensors().size(), forged.tensors().size());
            for (GgufTensorInfo t : expected.tensors()) {
                GgufTensorInfo ours = forged.tensor(t.name());
                assertEquals(t.type(), ours.type(), t.name());
                assertEquals(-1, expected.data(t).mismatch(forged.data(ours)), t.name());
            }
            assertEquals(GgmlType.Q6_K, forged.tensor("output.weight").type());
            assertEquals(15, forged.getInt(GgufFile.FILE_TYPE_KEY, 0, 100));
        }
    }

    // ---- helpers

    private static void assertTensor(GgufFile f, String name, GgmlType type, long... dims) {
        GgufTensorInfo t = f.tensor(name);
        assertTrue(t != null, name + " is present");
        assertEquals(type, t.type(), name);
        assertArrayEquals(dims, t.dims(), name);
    }

    /** The first row of a tensor, dequantized. */
    private static float[] row(GgufFile f, String name) {
        GgufTensorInfo t = f.tensor(name);
        int cols = (int) t.dims()[0];
        MemorySegment data = f.data(t);
        float[] out = new float[cols];
        Kernels.get().dequantizeRow(new WeightMatrix(name, t.type(), data.asSlice(0, t.type().byteSize(cols)), 1, cols), 0, out, 0);
        return out;
    }

    /** All of a tensor, dequantized. */
    private static float[] rows(GgufFile f, String name) {
        GgufTensorInfo t = f.tensor(name);
        int cols = (int) t.dims()[0];
        int rows = (int) (t.elementCount() / cols);
        float[] out = new float[rows * cols];
        WeightMatrix w = new WeightMatrix(name, t.type(), f.data(t), rows, cols);
        for (int r = 0; r < rows; r++) {
            Kernels.get().dequantizeRow(w, r, out, r * cols);
        }
        return out;
    }

    private static double mean(float[] x) {
        double s = 0;
        for (float v : x) {
            s += v;
        }
        return s / x.length;
    }

    private static double std(float[] x) {
        double m = mean(x);
        double s = 0;
        for (float v : x) {
            s += (v - m) * (v - m);
        }
        return Math.sqrt(s / x.length);
    }
}
