package dev.inferj.sampling;

/**
 * llama.cpp's repetition, frequency and presence penalties: each token that occurs {@code c > 0}
 * times among the last tokens of the session has its logit divided by the repeat penalty (multiplied
 * when it is not positive), then lowered by {@code c} times the frequency penalty plus the presence penalty.
 */
final class RepetitionPenalties {
    private final int lastN;
    private final float repeat;
    private final float frequency;
    private final float presence;
    /** Occurrences of each token id in the window; all zero between calls. */
    private final int[] counts;

    RepetitionPenalties(int lastN, float repeat, float frequency, float presence, int vocabularySize) {
        this.lastN = lastN;
        this.repeat = repeat;
        this.frequency = frequency;
        this.presence = presence;
        this.counts = new int[vocabularySize];
    }

    /** Whether these penalties change nothing. */
    static boolean off(int lastN, float repeat, float frequency, float presence) {
        return lastN == 0 || repeat == 1f && frequency == 0f && presence == 0f;
    }

    /** Penalizes {@code logits} (indexed by token id) for the tokens of {@code history[0, length)} in the window. */
    void apply(float[] logits, int[] history, int length) {
        int from = lastN < 0 ? 0 : Math.max(0, length - lastN);
        for (int i = from; i < length; i++) {
            counts[history[i]]++;
        }
        for (int i = from; i < length; i++) {
            int id = history[i];
            int c = counts[id];
            if (c == 0) {
                continue; // done at its first occurrence
            }
            counts[id] = 0;
            float logit = logits[id];
            logit = logit <= 0f ? logit * repeat : logit / repeat;
            logits[id] = logit - (c * frequency + presence);
        }
    }
}
