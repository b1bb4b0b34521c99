package dev.inferj.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.InferjException;
import dev.inferj.Model;
import dev.inferj.ModelOptions;
import dev.inferj.Session;
import dev.inferj.SharedData;
import dev.inferj.UnsupportedModelException;
import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufValue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every metadata key llama.cpp 34af94cd9 reads for the architectures inferj runs ({@code load_hparams} in
 * src/llama-model.cpp and each architecture's {@code load_arch_hparams} in src/models/), and what inferj does with
 * it, checked on each architecture's small golden model: a key inferj reads changes the outputs (or, given a
 * value it cannot follow, fails the load) when its value changes; a key inferj refuses fails the load with an
 * {@link UnsupportedModelException} that names it; a key without effect on generated text leaves the logits
 * bit for bit as they were, as it does in llama.cpp. No key is silently ignored while it changes llama.cpp's
 * computation.
 */
class MetadataKeysTest {
    /** 40 tokens: longer than the golden Gemma models' window of 16, so that the window keys show. */
    private static final int[] PROMPT = IntStream.range(0, 40).map(i -> 1 + (i * 37) % 1000).toArray();

    enum Use { READ, REFUSED, NO_EFFECT }

    /** {@code <arch>.suffix}, what inferj does with it, and the value the test gives it. */
    record Key(String suffix, Use use, Object value) {
    }

    private static List<Key> keys(Architecture a) {
        List<Key> keys = new ArrayList<>(List.of(
                new Key("context_length", Use.NO_EFFECT, 8192), // bounds the context; YaRN's default original context
                new Key("embedding_length", Use.READ, 384),
                new Key("embedding_length_out", Use.REFUSED, 64),
                new Key("attention.causal", Use.REFUSED, false),
                new Key("pooling_type", Use.NO_EFFECT, 1), // pools embeddings, which generation does not make
                new Key("block_count", Use.READ, 3),
                new Key("expert_group_count", Use.REFUSED, 2),
                new Key("expert_group_used_count", Use.NO_EFFECT, 1), // only with groups, refused above
                // the experts' width is expert_feed_forward_length where the file has it
                new Key("feed_forward_length", a == Architecture.QWEN3MOE ? Use.NO_EFFECT : Use.READ, 1024),
                new Key("attention.head_count", Use.READ, 8),
                new Key("attention.head_count_kv", Use.READ, 1),
                new Key("rope.scaling.finetuned", Use.NO_EFFECT, true), // logged only
                new Key("rope.scaling.original_context_length", Use.NO_EFFECT, 32), // YaRN and LongRoPE only: RopeScalingTest
                new Key("rope.freq_base", Use.READ, 20000f),
                new Key("rope.scaling.type", Use.READ, "dynamic"),
                new Key("rope.scaling.factor", Use.READ, 4f),
                new Key("rope.scale_linear", Use.READ, 4f),
                new Key("rope.scaling.attn_factor", Use.READ, 1.5f),
                new Key("rope.scaling.alpha", Use.NO_EFFECT, 1000f), // Hunyuan's
                new Key("attention.key_length", Use.READ, 16),
                new Key("attention.value_length", Use.READ, 16),
                new Key("rope.dimension_count", Use.READ, 16)));
        boolean local = a == Architecture.GEMMA2 || a == Architecture.GEMMA3;
        Use swa = local ? Use.REFUSED : Use.NO_EFFECT; // used on sliding-window layers only
        keys.add(new Key("attention.key_length_swa", swa, 16));
        keys.add(new Key("attention.value_length_swa", swa, 16));
        keys.add(new Key("rope.dimension_count_swa", swa, 16));
        keys.add(a == Architecture.FALCON ? new Key("attention.layer_norm_epsilon", Use.READ, 0.5f)
                : new Key("attention.layer_norm_rms_epsilon", Use.READ, 0.5f));
        switch (a) {
            case LLAMA -> keys.add(new Key("vocab_size", Use.REFUSED, 4096));
            case QWEN3MOE -> {
                keys.add(new Key("expert_count", Use.READ, 4));
                keys.add(new Key("expert_used_count", Use.READ, 1));
                keys.add(new Key("expert_feed_forward_length", Use.READ, 1024));
            }
            // llama.cpp reads it, then turns the window off (Phi-3 converters write it wrongly)
            case PHI3 -> keys.add(new Key("attention.sliding_window", Use.NO_EFFECT, 4));
            case GEMMA2, GEMMA3 -> {
                keys.add(new Key("attention.sliding_window", Use.READ, 4));
                keys.add(new Key("attention.sliding_window_pattern", Use.READ, 1));
                keys.add(new Key("final_logit_softcapping", Use.READ, 5f));
                keys.add(new Key("rope.freq_base_swa", Use.READ, 20000f));
                if (a == Architecture.GEMMA2) {
                    keys.add(new Key("attn_logit_softcapping", Use.READ, 5f));
                }
            }
            default -> {
            }
        }
        return keys;
    }

    /** The golden model of each architecture. */
    private static final List<String> MODELS = List.of("llama-dense-f32", "qwen2-f32", "qwen3-f32", "qwen3moe-f32",
            "phi3-f32", "gemma-f32", "gemma2-f32", "gemma3-f32", "falcon-f32");

    static Stream<Arguments> cases() {
        return MODELS.stream().flatMap(model -> {
            Architecture a;
            try (GgufFile f = GgufFile.open(SharedData.model(model + ".gguf"))) {
                a = Architecture.byGgufName(f.getString("general.architecture"));
            }
            return keys(a).stream().map(k -> Arguments.of(model, a.ggufName() + "." + k.suffix(), k.use(), k.value()));
        });
    }

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1} = {3}: {2}")
    @MethodSource("cases")
    void eachKeyIsReadRefusedOrWithoutEffect(String model, String key, Use use, Object value) {
        Path base = SharedData.model(model + ".gguf");
        try (GgufFile f = GgufFile.open(base)) {
            if (value instanceof Integer i && f.has(key) && f.getLong(key) == i) {
                value = 2 * i; // a change, whatever the model's own value
            }
        }
        GgufValue v = switch (value) {
            case Integer i -> GgufValue.ofUInt32(i);
            case Float x -> GgufValue.ofFloat32(x);
            case Boolean b -> GgufValue.ofBool(b);
            default -> GgufValue.ofString((String) value);
        };
        Path changed = ModelVariants.of(model + ".gguf", dir.resolve("changed.gguf"), w -> {
            if (w.value(key) != null) {
                w.replace(key, v);
            } else {
                w.put(key, v);
            }
        });
        float[] before = logits(base);
        switch (use) {
            case REFUSED -> {
                UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> logits(changed));
                assertTrue(e.getMessage().contains(key), "\"" + e.getMessage() + "\" should name " + key);
            }
            case NO_EFFECT -> assertArrayEquals(before, logits(changed), key + " = " + value + " changed the logits");
            case READ -> {
                float[] after;
                try {
                    after = logits(changed);
                } catch (InferjException e) {
                    return; // a value the model cannot take, refused with a typed error: read, not ignored
                }
                assertFalse(Arrays.equals(before, after), key + " = " + value + " left the logits unchanged");
            }
        }
    }

    private static float[] logits(Path file) {
        try (Model m = Model.load(file, ModelOptions.defaults().withContextLength(64)); Session s = m.newSession()) {
            return s.evaluate(PROMPT).clone();
        }
    }
}
