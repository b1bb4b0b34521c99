package dev.inferj.kernels;

/**
 * Routes a token to its experts as Mixtral (and llama.cpp) does: softmax over the router's
 * logits, the {@code used} most probable experts (the lower index first on a tie), and their
 * probabilities divided by their sum so they add up to 1.
 */
public final class ExpertRouter {
    /** llama.cpp clamps the sum of the chosen probabilities to at least this (the smallest normal half). */
    static final float MIN_WEIGHT_SUM = 6.103515625e-5f;

    private ExpertRouter() {
    }

    /**
     * @param logits   the router's output for one token, {@code experts} long; replaced by the probabilities
     * @param selected receives the chosen experts, best first
     * @param weights  receives their weights, in the same order
     */
    public static void route(Kernels k, float[] logits, int experts, int used, int[] selected, float[] weights) {
        k.softmax(logits, 0, experts);
        double sum = 0;
        for (int slot = 0; slot < used; slot++) {
            int best = -1;
            for (int e = 0; e < experts; e++) {
                if ((best < 0 || logits[e] > logits[best]) && !chosen(selected, slot, e)) {
                    best = e;
                }
            }
            selected[slot] = best;
            weights[slot] = logits[best];
            sum += logits[best];
        }
        float total = Math.max((float) sum, MIN_WEIGHT_SUM);
        for (int slot = 0; slot < used; slot++) {
            weights[slot] /= total;
        }
    }

    private static boolean chosen(int[] selected, int slots, int expert) {
        for (int i = 0; i < slots; i++) {
            if (selected[i] == expert) {
                return true;
            }
        }
        return false;
    }
}
