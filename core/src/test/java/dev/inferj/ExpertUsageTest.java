package dev.inferj;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@code Session.expertUsage}: the router's choices, counted per layer and expert. */
class ExpertUsageTest {

    private static Model moe() {
        return Model.load(SharedData.model("llama-moe-q8_0.gguf"), ModelOptions.defaults().withContextLength(64));
    }

    @Test
    void everyEvaluatedTokenCountsOnceForEachExpertItIsRoutedTo() {
        try (Model m = moe(); Session s = m.newSession()) {
            int used = 2; // llama-moe: 8 experts, top-2
            s.evaluate(1, 403, 407, 300, 301);
            s.evaluate(302);
            ExpertUsage u = s.expertUsage();
            assertEquals(8, u.experts());
            assertTrue(u.layers() > 0);
            for (int l = 0; l < u.layers(); l++) {
                assertEquals(6L * used, u.total(l), "layer " + l);
                long busy = Arrays.stream(u.counts(l)).filter(c -> c > 0).count();
                assertTrue(busy >= used, "layer " + l + " used only " + busy + " experts: " + u);
                for (int e = 0; e < u.experts(); e++) {
                    assertTrue(u.count(l, e) <= 6, "a token meets an expert at most once: " + u);
                }
            }
        }
    }

    @Test
    void aSnapshotDoesNotChangeAndClearingStartsOver() {
        try (Model m = moe(); Session s = m.newSession()) {
            s.evaluate(1, 403, 407);
            ExpertUsage before = s.expertUsage();
            s.reset(); // keeps the counts
            s.evaluate(1, 500);
            assertEquals(6, before.total(0));
            assertEquals(10, s.expertUsage().total(0));
            s.clearExpertUsage();
            assertEquals(0, s.expertUsage().total(0));
            assertEquals(0.0, s.expertUsage().share(0, 0));
            s.evaluate(7);
            assertEquals(2, Arrays.stream(s.expertUsage().counts(0)).filter(c -> c == 1).count()); // two experts, once each
        }
    }

    @Test
    void aDenseModelHasNoExperts() {
        try (Model m = Model.load(SharedData.model("stories260K.gguf")); Session s = m.newSession()) {
            s.evaluate(1, 403);
            ExpertUsage u = s.expertUsage();
            assertEquals(0, u.experts());
            assertEquals(m.info().parameterLayers(), u.layers());
        }
    }

    @Test
    void aClosedSessionRefuses() {
        try (Model m = moe()) {
            Session s = m.newSession();
            s.close();
            assertThrows(IllegalStateException.class, s::expertUsage);
        }
    }
}
