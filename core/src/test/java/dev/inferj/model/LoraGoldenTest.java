package dev.inferj.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.InferjException;
import dev.inferj.Json;
import dev.inferj.LoraAdapter;
import dev.inferj.LoraMerge;
import dev.inferj.Model;
import dev.inferj.ModelOptions;
import dev.inferj.SessionOptions;
import dev.inferj.SharedData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * LoRA adapters applied at run time against llama.cpp's outputs with them (shared/lora): prompt ids, step-0 logits within
 * the base model's tolerance, and teacher-forced over every step the same argmax wherever the reference is not a near-tie.
 */
class LoraGoldenTest {

    private static Path lora(String first, String... more) {
        return SharedData.root().resolve("lora").resolve(Path.of(first, more));
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> reference(String name) {
        return (List<Map<String, Object>>) Json.parse(lora("reference", name + ".json"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K+qv-r8@1.0", "stories260K+qv-r8@0.5", "llama-dense-f32+all-r8@1.0",
            "llama-dense-f32+all-r8-f16@1.0", "llama-dense-q8_0+all-r8@1.0", "llama-dense-q4_0+all-r8@1.0",
            "llama-dense-f32+all-r8@0.7+qkd-r4@-0.8", "qwen3-f32+all-r8@1.0"})
    void adaptedOutputsFollowLlamaCpp(String name) {
        List<Map<String, Object>> runs = reference(name);
        Map<String, Object> first = runs.get(0);
        @SuppressWarnings("unchecked")
        int context = ((Number) ((Map<String, Object>) first.get("settings")).get("n_ctx")).intValue();
        try (Model model = Model.load(SharedData.model((String) first.get("model_file")), ModelOptions.defaults().withContextLength(context))) {
            List<LoraAdapter.Scaled> adapters = new ArrayList<>();
            for (Object a : (List<?>) first.get("adapters")) {
                Map<?, ?> adapter = (Map<?, ?>) a;
                adapters.add(model.loadAdapter(lora("adapters", (String) adapter.get("file")))
                        .scaled(((Number) adapter.get("scale")).floatValue()));
            }
            String base = ((String) first.get("model_file")).replace(".gguf", "");
            for (Map<String, Object> run : runs) {
                LlamaGoldenTest.Forced forced = LlamaGoldenTest.teacherForce(model, run, SessionOptions.defaults(),
                        s -> s.setAdapters(adapters));
                LlamaGoldenTest.assertLogitsClose(base, run, forced.firstLogits());
                LlamaGoldenTest.assertArgmaxFollows(name, run, forced);
            }
        }
    }

    /** llama-dense-f32 with all-r8 merged by inferj follows llama.cpp's merged model, step by step, as the run-time adapter does. */
    @Test
    void aMergedFileFollowsLlamaCppsMergedModel(@TempDir Path dir) {
        Path merged = dir.resolve("merged.gguf");
        LoraMerge.write(SharedData.model("llama-dense-f32.gguf"),
                List.of(new LoraMerge.Adapter(lora("adapters", "llama-dense-lora-all-r8.gguf"), 1f)), merged);
        List<Map<String, Object>> runs = reference("merged-llama-dense-f32-merged-all-r8");
        try (Model model = Model.load(merged, ModelOptions.defaults().withContextLength(256))) {
            for (Map<String, Object> run : runs) {
                LlamaGoldenTest.Forced forced = LlamaGoldenTest.teacherForce(model, run, SessionOptions.defaults());
                LlamaGoldenTest.assertLogitsClose("llama-dense-f32", run, forced.firstLogits());
                LlamaGoldenTest.assertArgmaxFollows("merged", run, forced);
            }
        }
    }

    /** Without its adapter the model leaves the adapted reference: the comparison above would notice an adapter not applied. */
    @ParameterizedTest
    @ValueSource(strings = {"llama-dense-f32+all-r8@1.0"})
    void theBaseModelAloneDoesNotMatch(String name) {
        Map<String, Object> run = reference(name).get(0);
        try (Model model = Model.load(SharedData.model((String) run.get("model_file")), ModelOptions.defaults().withContextLength(256))) {
            assertThrows(AssertionError.class, () -> {
                LlamaGoldenTest.Forced forced = LlamaGoldenTest.teacherForce(model, run, SessionOptions.defaults());
                LlamaGoldenTest.assertLogitsClose("llama-dense-f32", run, forced.firstLogits());
                LlamaGoldenTest.assertArgmaxFollows(name, run, forced);
            });
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-dense-lora-all-r8.gguf"})
    void anAdapterOfAnotherModelIsRefusedNamingTheTensor(String adapter) {
        try (Model other = Model.load(SharedData.model("stories260K.gguf"), ModelOptions.defaults().withContextLength(64))) {
            InferjException e = assertThrows(InferjException.class, () -> other.loadAdapter(lora("adapters", adapter)));
            assertTrue(e.getMessage().contains(adapter) && e.getMessage().contains("blk.0."), e.getMessage());
        }
        try (Model dense = Model.load(SharedData.model("llama-dense-f32.gguf"), ModelOptions.defaults().withContextLength(64))) {
            LoraAdapter a = dense.loadAdapter(lora("adapters", adapter));
            assertEquals(8, a.rank());
            assertEquals(16f, a.alpha());
            assertEquals(7, a.targets().size());
        }
    }
}
