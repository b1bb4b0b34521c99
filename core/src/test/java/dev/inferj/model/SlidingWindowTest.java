package dev.inferj.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.Model;
import dev.inferj.ModelForge;
import dev.inferj.ModelOptions;
import dev.inferj.Session;
import dev.inferj.SharedData;
import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufValue;
import dev.inferj.gguf.GgufWriter;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mistral-style sliding-window attention, on a one-layer model where a position's keys and
 * values depend only on its own token: with a window of 2 the logits at the last position
 * cannot depend on the first token; without a window they do.
 */
class SlidingWindowTest {
    private static final int[] A = {1, 400, 500, 600, 700};
    private static final int[] B = {1, 401, 500, 600, 700};

    @Test
    void tokensOutsideTheWindowDoNotAffectTheOutput(@TempDir Path dir) {
        Path windowed = dir.resolve("windowed.gguf");
        try (GgufFile f = GgufFile.open(SharedData.model("llama-dense-f32.gguf"))) {
            GgufWriter.copyOf(f).put("llama.attention.sliding_window", GgufValue.ofUInt32(2)).write(windowed);
        }
        // equal up to float summation order: the Vector API's float reductions may add lanes in another
        // order before and after the JIT compiles them
        float windowedDifference = maxDifference(lastLogits(windowed, A), lastLogits(windowed, B));
        assertTrue(windowedDifference < 1e-4f, "the first token changed the windowed logits by " + windowedDifference);
        Path plain = SharedData.model("llama-dense-f32.gguf");
        float plainDifference = maxDifference(lastLogits(plain, A), lastLogits(plain, B));
        assertTrue(plainDifference > 1e-2f, "the first token changed the plain logits by only " + plainDifference);
    }

    /**
     * A generated token deep in the context, its window starting mid-vector (the lanes before it masked, whatever an
     * earlier pass left there), gets the logits the same tokens get as one prompt, up to the two paths' orders.
     */
    @Test
    void aGeneratedTokenDeepInTheContextSeesItsWindowAsAPromptDoes(@TempDir Path dir) {
        Path forged = dir.resolve("tiny.gguf");
        ModelForge.write("tiny", "q8_0", 5, forged);
        Path windowed = dir.resolve("windowed.gguf");
        try (GgufFile f = GgufFile.open(forged)) {
            GgufWriter.copyOf(f).put("llama.attention.sliding_window", GgufValue.ofUInt32(300)).write(windowed);
        }
        int[] tokens = new int[401];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = 300 + i * 37 % 200;
        }
        try (Model m = Model.load(windowed, ModelOptions.defaults().withContextLength(512));
                Session generated = m.newSession(); Session prompt = m.newSession()) {
            generated.evaluate(Arrays.copyOf(tokens, 400));
            float difference = maxDifference(generated.evaluate(tokens[400]), prompt.evaluate(tokens));
            assertTrue(difference < 1e-3f, "the generated token's logits differ from the prompt's by " + difference);
        }
    }

    private static float maxDifference(float[] a, float[] b) {
        float max = 0f;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    private static float[] lastLogits(Path file, int[] tokens) {
        try (Model m = Model.load(file, ModelOptions.defaults().withContextLength(16)); Session s = m.newSession()) {
            return s.evaluate(tokens);
        }
    }
}
