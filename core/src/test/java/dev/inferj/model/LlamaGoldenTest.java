package dev.inferj.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.GenerateOptions;
import dev.inferj.Generation;
import dev.inferj.Json;
import dev.inferj.KvCacheType;
import dev.inferj.Model;
import dev.inferj.ModelOptions;
import dev.inferj.Session;
import dev.inferj.SessionOptions;
import dev.inferj.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whole-model outputs against llama.cpp's greedy runs in shared/reference (comparison rules in
 * shared/README.md): identical prompt ids, step-0 logits within tolerance, and, teacher-forced over
 * every step, the same argmax wherever the reference's top two are not a near-tie.
 */
class LlamaGoldenTest {

    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "llama-dense-f32", "llama-dense-f16", "llama-dense-q8_0", "llama-dense-q4_0",
            "llama-dense-untied-f16", "llama-dense-untied-q8_0", "tiny-shape-v2048-f32", "tiny-shape-v2048-q8_0",
            "tiny-shape-v2048-q4_0", "llama-moe-f32", "llama-moe-q8_0", "llama-moe-q4_0",
            "llama-dense-q4_1", "llama-dense-q5_0", "llama-dense-q5_1", "llama-dense-q2_k", "llama-dense-q3_k_s",
            "llama-dense-q4_k_s", "llama-dense-q4_k_m", "llama-dense-q5_k_m", "llama-dense-q6_k", "llama-dense-q4_k-pure",
            "llama-dense-q5_k-pure", "llama-moe-q4_k_m",
            "llama-ropefreqs-f32", "llama-ropefreqs-q8_0", "qwen2-yarn-f32", "qwen2-yarn-q8_0", "phi3-longrope-f32",
            "phi3-longrope-q8_0", "phi3-longrope-f32-ctx4k", "phi3-longrope-q8_0-ctx4k",
            "gemma-f32", "gemma-q8_0", "gemma2-f32", "gemma2-q8_0", "gemma3-f32", "gemma3-q8_0", "phi3-f32", "phi3-q8_0", "qwen2-f32", "qwen2-q8_0", "qwen3-f32", "qwen3moe-f32", "qwen3moe-q8_0", "falcon-f32", "falcon-q8_0"})
    void teacherForcedArgmaxMatchesLlamaCpp(String name) throws IOException {
        List<Double> errors = new ArrayList<>();
        try (Model model = load(name)) {
            for (Map<String, Object> run : reference(name)) {
                Forced forced = teacherForce(model, run, SessionOptions.defaults());
                errors.add(assertLogitsClose(name, run, forced.firstLogits()));
                assertArgmaxFollows(name, run, forced);
            }
        }
        requireOneExactPrompt(name, errors);
    }

    /**
     * An F32 KV cache (keys and values unrounded, where llama.cpp's references use F16) keeps the step-0 logits
     * within 5e-3 of the range and every argmax that is not a near-tie. A Q8_0 cache (34 bytes per 32 values)
     * moves the logits of these random-weight models by up to ~8% of their range, more than quantized weights do:
     * its argmax must still agree at 95% of the steps that are not near-ties (97-100% measured), and its step-0
     * logits within 10% of the range. A cache read at wrong offsets, or a key or value of the wrong position,
     * agrees at far fewer.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama-dense-f32", "llama-moe-f32", "qwen3-f32", "gemma3-f32", "falcon-f32"})
    void f32AndQ8_0CachesFollowLlamaCpp(String name) throws IOException {
        try (Model model = load(name)) {
            int steps = 0;
            int agreed = 0;
            for (Map<String, Object> run : reference(name)) {
                Forced f32 = teacherForce(model, run, SessionOptions.defaults().withCacheType(KvCacheType.F32));
                assertWithinRange(name + " (F32 cache)", run, f32.firstLogits(), 5e-3);
                assertArgmaxFollows(name + " (F32 cache)", run, f32);
                Forced q8 = teacherForce(model, run, SessionOptions.defaults().withCacheType(KvCacheType.Q8_0));
                assertWithinRange(name + " (Q8_0 cache)", run, q8.firstLogits(), 0.1);
                List<Map<String, Object>> expected = list(run.get("steps"));
                for (int i = 0; i < expected.size(); i++) {
                    if (!isNearTie(expected.get(i))) {
                        steps++;
                        agreed += q8.argmax()[i] == ((Number) expected.get(i).get("id")).intValue() ? 1 : 0;
                    }
                }
            }
            assertTrue(agreed >= 0.95 * steps, name + " (Q8_0 cache): argmax agrees at " + agreed + " of " + steps + " steps");
        }
    }

    private static void assertWithinRange(String name, Map<String, Object> run, float[] logits, double fraction) {
        List<Map<String, Object>> steps = list(run.get("steps"));
        double[] reference = doubles(steps.get(0).get("logits"));
        double range = Arrays.stream(reference).map(Math::abs).max().orElseThrow();
        for (int i = 0; i < reference.length; i++) {
            assertEquals(reference[i], logits[i], fraction * range, name + " \"" + run.get("prompt") + "\" step-0 logit " + i);
        }
    }

    /** Teacher-forced over a reference run: the step-0 logits, and at each step our argmax with its logit and that of llama.cpp's choice. */
    record Forced(float[] firstLogits, int[] argmax, float[] argmaxLogit, float[] expectedLogit) {
    }

    static Forced teacherForce(Model model, Map<String, Object> run, SessionOptions options) {
        return teacherForce(model, run, options, s -> { });
    }

    /** Teacher-forced as above, in a session {@code prepare} has set up (adapters, say). */
    static Forced teacherForce(Model model, Map<String, Object> run, SessionOptions options, Consumer<Session> prepare) {
        List<Map<String, Object>> steps = list(run.get("steps"));
        int[] argmax = new int[steps.size()];
        float[] argmaxLogit = new float[steps.size()];
        float[] expectedLogit = new float[steps.size()];
        try (Session session = model.newSession(options)) {
            prepare.accept(session);
            float[] first = session.evaluate(promptIds(model, run));
            float[] logits = first;
            for (int i = 0; i < steps.size(); i++) {
                int expected = ((Number) steps.get(i).get("id")).intValue();
                argmax[i] = argmax(logits);
                argmaxLogit[i] = logits[argmax[i]];
                expectedLogit[i] = logits[expected];
                if (i + 1 < steps.size()) {
                    logits = session.evaluate(expected);
                }
            }
            return new Forced(first, argmax, argmaxLogit, expectedLogit);
        }
    }

    /** At every step our argmax is llama.cpp's, or the reference's top two are a near-tie and ours is one of them. */
    static void assertArgmaxFollows(String name, Map<String, Object> run, Forced forced) {
        List<Map<String, Object>> steps = list(run.get("steps"));
        for (int i = 0; i < steps.size(); i++) {
            Map<String, Object> step = steps.get(i);
            int expected = ((Number) step.get("id")).intValue();
            int actual = forced.argmax()[i];
            if (actual != expected) {
                assertTrue(isNearTie(step) && topTwo(step).contains(actual),
                        name + " \"" + run.get("prompt") + "\" step " + i + ": argmax " + actual + " (logit "
                                + forced.argmaxLogit()[i] + "), llama.cpp chose " + expected + " (our logit "
                                + forced.expectedLogit()[i] + ", margin " + step.get("margin") + ")");
            }
        }
    }

    /**
     * Models checked on prompt ids and step-0 logits only: llama-2-tiny-random is too weak to
     * generate; qwen3-q8_0's logits leave llama.cpp's by ~0.1 after some 30 positions (one argmax
     * differs at step 55 of a prompt). The cause is known: ggml sums a Q8_0 row in eight float lanes,
     * one per group of four elements of each block, and the tiled kernels keep one sum per row; the
     * ulp that differs now and then flips an 8-bit rounding of a later activation. Scalar kernels in
     * ggml's order reproduce every logit of all three prompts to the bit; tiled kernels in that order
     * cost half the decode speed (docs/benchmarks.md, session 9).
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama-2-tiny-random", "qwen3-q8_0"})
    void promptIdsAndFirstLogitsMatchLlamaCpp(String name) throws IOException {
        List<Double> errors = new ArrayList<>();
        try (Model model = load(name)) {
            for (Map<String, Object> run : reference(name)) {
                try (Session session = model.newSession()) {
                    errors.add(assertLogitsClose(name, run, session.evaluate(promptIds(model, run))));
                }
            }
        }
        requireOneExactPrompt(name, errors);
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K"})
    void greedyGenerationReproducesLlamaCppText(String name) throws IOException {
        try (Model model = load(name)) {
            for (Map<String, Object> run : reference(name)) {
                List<Map<String, Object>> steps = list(run.get("steps"));
                int agreed = 0;
                while (agreed < steps.size() && !isNearTie(steps.get(agreed))) {
                    agreed++;
                }
                try (Session session = model.newSession()) {
                    Generation g = session.generate((String) run.get("prompt"),
                            GenerateOptions.greedy().withMaxTokens(steps.size()));
                    for (int i = 0; i < Math.min(agreed, g.tokens().length); i++) {
                        assertEquals(((Number) steps.get(i).get("id")).intValue(), g.tokens()[i],
                                name + " \"" + run.get("prompt") + "\" free-running step " + i);
                    }
                    if (agreed == steps.size()) {
                        assertEquals(run.get("generated_text"), g.text());
                    }
                }
            }
        }
    }

    /** The model a reference ran ({@code model_file}: the -ctx4k references share theirs), at the context it ran with. */
    private static Model load(String name) throws IOException {
        Map<String, Object> first = reference(name).get(0);
        Map<String, Object> settings = map(first.get("settings"));
        int context = ((Number) settings.get("n_ctx")).intValue();
        return Model.load(SharedData.model((String) first.get("model_file")), ModelOptions.defaults().withContextLength(context));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    private static int[] promptIds(Model model, Map<String, Object> run) {
        int[] expected = ints(run.get("prompt_ids"));
        int[] actual = model.tokenizer().encode((String) run.get("prompt"), (Boolean) run.get("add_bos"), false);
        assertArrayEquals(expected, actual, "prompt ids of \"" + run.get("prompt") + "\"");
        return actual;
    }

    /**
     * Relative max error (max|Δ| / max|logit|) of step-0 logits against the reference's: 2e-3 for
     * F32 models and 5e-3 for F16 ones (shared/README.md). Where ggml rounds through half precision
     * or 8 bits (quantized activations, Gemma's GELU table), a difference of one float ulp upstream
     * (summation order) can flip one rounding and move the logits by up to ~1%, so quantized and
     * Gemma models get looser bounds; {@link #requireOneExactPrompt} then checks that the numerics
     * themselves are ggml's.
     */
    private static double tolerance(String model) {
        boolean gelu = model.startsWith("gemma");
        if (model.endsWith("f32") || model.equals("stories260K")) {
            return gelu ? 5e-3 : 2e-3;
        }
        return model.endsWith("f16") || model.equals("llama-2-tiny-random") ? 5e-3 : 2e-2;
    }

    /** Asserts the step-0 logits are within {@link #tolerance} and returns their relative max error. */
    static double assertLogitsClose(String name, Map<String, Object> run, float[] logits) {
        List<Map<String, Object>> steps = list(run.get("steps"));
        double[] expected = doubles(steps.get(0).get("logits"));
        assertEquals(expected.length, logits.length, "vocabulary size");
        double maxDiff = 0;
        double maxAbs = 0;
        for (int i = 0; i < expected.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(expected[i] - logits[i]));
            maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
        }
        double tolerance = tolerance(name.replace("-ctx4k", ""));
        double error = maxDiff / maxAbs;
        assertTrue(error <= tolerance, name + " \"" + run.get("prompt") + "\": step-0 logits relative max error "
                + error + " exceeds " + tolerance);
        return error;
    }

    /** Without a rounding flip the error is float noise: at least one prompt of each model must show it. */
    private static void requireOneExactPrompt(String name, List<Double> errors) {
        double best = errors.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        assertTrue(best < 1e-4, name + ": no prompt's step-0 logits agree to float precision; errors " + errors);
    }

    static boolean isNearTie(Map<String, Object> step) {
        double margin = ((Number) step.get("margin")).doubleValue();
        double top1 = topLogit(step);
        return margin < Math.max(0.01, 0.005 * Math.abs(top1));
    }

    private static double topLogit(Map<String, Object> step) {
        List<Object> first = list(list(step.get("top")).get(0));
        return ((Number) first.get(1)).doubleValue();
    }

    private static List<Integer> topTwo(Map<String, Object> step) {
        List<Object> top = list(step.get("top"));
        return List.of(((Number) list(top.get(0)).get(0)).intValue(), ((Number) list(top.get(1)).get(0)).intValue());
    }

    private static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    static List<Map<String, Object>> reference(String name) throws IOException {
        return list(Json.parse(Files.readString(SharedData.reference(name + ".json"))));
    }

    @SuppressWarnings("unchecked")
    static <T> List<T> list(Object o) {
        return (List<T>) o;
    }

    static int[] ints(Object o) {
        return list(o).stream().mapToInt(v -> ((Number) v).intValue()).toArray();
    }

    static double[] doubles(Object o) {
        return list(o).stream().mapToDouble(v -> ((Number) v).doubleValue()).toArray();
    }
}
