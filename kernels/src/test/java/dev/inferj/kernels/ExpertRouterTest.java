package dev.inferj.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ExpertRouterTest {
    private final Kernels k = new ScalarKernels();

    @Test
    void picksTheMostProbableExpertsBestFirstWithWeightsThatSumToOne() {
        float[] logits = {0.5f, 2f, -1f, 1f};
        int[] selected = new int[2];
        float[] weights = new float[2];
        ExpertRouter.route(k, logits, 4, 2, selected, weights);
        assertArrayEquals(new int[] {1, 3}, selected);
        double e1 = Math.exp(2);
        double e3 = Math.exp(1);
        assertEquals(e1 / (e1 + e3), weights[0], 1e-6);
        assertEquals(e3 / (e1 + e3), weights[1], 1e-6);
    }

    @Test
    void aTieGoesToTheLowerIndex() {
        int[] selected = new int[2];
        float[] weights = new float[2];
        ExpertRouter.route(k, new float[] {1f, 3f, 3f, 3f}, 4, 2, selected, weights);
        assertArrayEquals(new int[] {1, 2}, selected);
        assertEquals(0.5f, weights[0], 1e-7);
    }

    @Test
    void oneExpertGetsTheWholeWeight() {
        int[] selected = new int[1];
        float[] weights = new float[1];
        ExpertRouter.route(k, new float[] {-3f, -7f, 4f}, 3, 1, selected, weights);
        assertEquals(2, selected[0]);
        assertEquals(1f, weights[0]);
    }
}
