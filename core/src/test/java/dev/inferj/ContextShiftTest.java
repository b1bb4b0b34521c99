package dev.inferj;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** llama.cpp's context shift: forget the older half after the kept tokens, turn the later keys back. */
class ContextShiftTest {

    @Test
    void shiftedKeysAreThoseOfTheTokensAtTheirNewPositions() {
        // one layer: a token's key and value depend on nothing but the token and its position, so after
        // the shift the session must equal one that never saw the forgotten tokens (up to F16 rounding)
        try (Model m = Model.load(SharedData.model("llama-2-tiny-random.gguf"), ModelOptions.defaults().withContextLength(32));
                Session shifted = m.newSession(); Session fresh = m.newSession()) {
            int[] tokens = IntStream.range(0, 20).map(i -> 100 + 37 * i).toArray();
            shifted.evaluate(tokens);
            assertTrue(shifted.shiftContext(4));
            assertEquals(12, shifted.position()); // 4 kept, (20 - 4) / 2 = 8 forgotten
            int[] kept = IntStream.concat(IntStream.range(0, 4), IntStream.range(12, 20)).map(i -> tokens[i]).toArray();
            fresh.evaluate(kept);
            float[] a = shifted.evaluate(5000);
            float[] b = fresh.evaluate(5000);
            float scale = 0;
            float diff = 0;
            for (int i = 0; i < b.length; i++) {
                scale = Math.max(scale, Math.abs(b[i]));
                diff = Math.max(diff, Math.abs(a[i] - b[i]));
            }
            // the random model's attention moves its logits little: keys left unturned change them by ~1e-4 of
            // their scale, turned keys by 0 here (F16 rounding of the turned keys may cost a few 1e-8)
            assertTrue(diff <= 1e-6f * scale, "max difference " + diff + " against logits up to " + scale);
        }
    }

    @Test
    void generationGoesOnPastAFullContextWhenAsked() {
        try (Model m = Model.load(SharedData.model("stories260K.gguf"), ModelOptions.defaults().withContextLength(24));
                Session s = m.newSession()) {
            GenerateOptions o = GenerateOptions.greedy().withMaxTokens(60).withStopAtEndOfGeneration(false);
            Generation full = s.generate("Once upon a time", o);
            assertEquals(Generation.StopReason.CONTEXT_FULL, full.stopReason());
            s.reset();
            Generation shifted = s.generate("Once upon a time", o.withContextShift(5));
            assertEquals(Generation.StopReason.MAX_TOKENS, shifted.stopReason());
            assertEquals(60, shifted.tokens().length);
            assertTrue(s.position() <= s.contextLength());
            // the shift happens only once the context is full: the tokens before it are the unshifted run's
            assertEquals(full.text().substring(0, 20), shifted.text().substring(0, 20));
        }
    }
}
