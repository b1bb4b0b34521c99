package dev.inferj.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.GgufFormatException;
import dev.inferj.InferjException;
import dev.inferj.Model;
import dev.inferj.ModelOptions;
import dev.inferj.Session;
import dev.inferj.UnsupportedModelException;
import dev.inferj.gguf.GgufValue;
import dev.inferj.gguf.GgufWriter;
import dev.inferj.ggml.GgmlType;
import dev.inferj.kernels.Rope;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Rope scaling (issue 10): each kind changes the outputs beyond the golden tolerance, so ignoring it
 * cannot pass {@link LlamaGoldenTest}; YaRN's angles are those ../shared/README.md derives; keys and
 * tensors that cannot be honoured are refused by name.
 */
class RopeScalingTest {
    /** The F32 limit of the golden comparison (step-0 logits, relative max error). */
    private static final double F32_TOLERANCE = 2e-3;

    @TempDir
    Path dir;

    private Path variant(String base, Consumer<GgufWriter> edit) {
        return ModelVariants.of(base, dir.resolve("variant.gguf"), edit);
    }

    /**
     * Without its scaling, each model's step-0 logits miss llama.cpp's by more than the golden tolerance on
     * every reference prompt: the factors and keys are load-bearing, not decoration.
     */
    @ParameterizedTest
    @CsvSource({
        "llama-ropefreqs-f32, tensor, rope_freqs.weight",
        "qwen2-yarn-f32, key, qwen2.rope.scaling.type", // linear x4 in YaRN's place
        "phi3-longrope-f32, key, phi3.rope.scaling.attn_factor",
        "phi3-longrope-f32, tensor, rope_factors_short.weight"})
    void withoutItsScalingAModelMissesLlamaCpp(String model, String kind, String name) throws IOException {
        Path stripped = variant(model + ".gguf", w -> {
            if (kind.equals("tensor")) {
                w.removeTensor(name);
            } else {
                w.remove(name);
            }
        });
        try (Model m = Model.load(stripped, ModelOptions.defaults().withContextLength(256))) {
            for (Map<String, Object> run : LlamaGoldenTest.reference(model)) {
                double[] expected = LlamaGoldenTest.doubles(
                        LlamaGoldenTest.<Map<String, Object>>list(run.get("steps")).get(0).get("logits"));
                float[] logits;
                try (Session s = m.newSession()) {
                    logits = s.evaluate(LlamaGoldenTest.ints(run.get("prompt_ids")));
                }
                double maxDiff = 0;
                double maxAbs = 0;
                for (int i = 0; i < expected.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(expected[i] - logits[i]));
                    maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
                }
                assertTrue(maxDiff / maxAbs > F32_TOLERANCE, model + " without " + name + ": \"" + run.get("prompt")
                        + "\" still within " + F32_TOLERANCE + " (" + maxDiff / maxAbs + ")");
            }
        }
    }

    /**
     * qwen2-yarn's rope (n_rot 32, base 1e6, factor 4, original context 64): the correction dims are
     * [0, 3], so pair i turns by theta (r + (1 - r) / 4) with r = 1, 2/3, 1/3 for pairs 0-2 and 0 from
     * pair 3 on, and cosine and sine carry 1 + 0.1 ln 4 (../shared/README.md).
     */
    @Test
    void yarnBlendsInterpolationAndExtrapolationPerPair() {
        RopeScaling scaling = new RopeScaling(RopeScaling.Type.YARN, 0.25f, 64, 1f);
        Rope rope = new Rope(32, 1e6f, true, scaling.rope(null));
        int position = 37;
        rope.setPosition(position);
        float[] x = new float[32];
        for (int i = 0; i < 16; i++) {
            x[i] = 1f; // (1, 0) in each NeoX pair (i, i + 16)
        }
        rope.rotate(x, 0, 1, 32);
        double[] r = {1, 2.0 / 3, 1.0 / 3};
        double magnitude = 1 + 0.1 * Math.log(4);
        for (int i = 0; i < 16; i++) {
            double theta = position * Math.pow(1e6, -2.0 * i / 32);
            double ri = i < 3 ? r[i] : 0;
            double angle = theta * (ri + (1 - ri) / 4);
            assertEquals(magnitude * Math.cos(angle), x[i], 1e-5, "cos of pair " + i);
            assertEquals(magnitude * Math.sin(angle), x[i + 16], 1e-5, "sin of pair " + i);
        }
    }

    @Test
    void anUnknownScalingTypeIsRefusedByName() {
        Path file = variant("qwen2-f32.gguf", w -> w.put("qwen2.rope.scaling.type", GgufValue.ofString("dynamic")));
        assertRefused(UnsupportedModelException.class, file, "qwen2.rope.scaling.type", "dynamic");
    }

    @Test
    void aNegativeScalingFactorIsRefused() {
        Path file = variant("qwen2-f32.gguf", w -> w.put("qwen2.rope.scaling.factor", GgufValue.ofFloat32(-2f)));
        assertRefused(GgufFormatException.class, file, "qwen2.rope.scaling.factor");
    }

    @Test
    void ropeFactorsOnAnArchitectureThatDoesNotReadThemAreRefused() {
        Path file = variant("qwen2-f32.gguf", w -> w.addTensor("rope_freqs.weight", GgmlType.F32, new long[] {16}, floats(16, 2f)));
        assertRefused(UnsupportedModelException.class, file, "rope_freqs.weight", "qwen2");
    }

    @Test
    void aZeroFrequencyFactorIsRefused() {
        Path file = variant("llama-ropefreqs-f32.gguf", w -> {
            w.removeTensor("rope_freqs.weight");
            w.addTensor("rope_freqs.weight", GgmlType.F32, new long[] {32}, floats(32, 0f));
        });
        assertRefused(GgufFormatException.class, file, "rope_freqs.weight", "index 0");
    }

    private static byte[] floats(int n, float value) {
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat(value);
        }
        return b.array();
    }

    private static void assertRefused(Class<? extends InferjException> type, Path file, String... fragments) {
        InferjException e = assertThrows(type, () -> Model.load(file, ModelOptions.defaults().withContextLength(64)).close());
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "\"" + e.getMessage() + "\" should name " + fragment);
        }
    }
}
