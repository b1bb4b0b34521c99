package dev.inferj;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@code Session.evaluate} into a caller's buffer gives the logits {@code evaluate} returns, step after step. */
class SessionEvaluateTest {

    @Test
    void evaluatingIntoABufferGivesTheSameLogits() {
        try (Model m = Model.load(SharedData.model("stories260K.gguf"), ModelOptions.defaults().withContextLength(32));
                Session copying = m.newSession(); Session buffered = m.newSession()) {
            int vocab = m.info().vocabularySize();
            float[] buffer = new float[vocab + 3];
            Arrays.fill(buffer, Float.NaN);
            int[][] steps = {{1, 403, 407}, {300}, {301}};
            for (int[] tokens : steps) {
                float[] expected = copying.evaluate(tokens);
                assertSame(buffer, buffered.evaluate(tokens, buffer));
                assertArrayEquals(expected, Arrays.copyOf(buffer, vocab));
                assertEquals(Float.NaN, buffer[vocab]); // nothing written past the vocabulary
            }
            assertThrows(IllegalArgumentException.class, () -> buffered.evaluate(new int[] {5}, new float[vocab - 1]));
        }
    }
}
