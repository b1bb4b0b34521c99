package dev.inferj.sampling;

import dev.inferj.GenerateOptions;
import java.util.function.IntFunction;

/**
 * The DRY penalty (see {@link GenerateOptions.Dry}). For each earlier place where the session's
 * latest tokens occurred before, the token that followed them there would extend the repetition:
 * it loses {@code multiplier * base^(length - allowedLength)} once the repeated run is at least
 * {@code allowedLength} long, its longest run counting. Runs are found with the Z-algorithm over the
 * window read backwards, in time linear in the window, and end at the latest sequence breaker; a
 * breaker itself is never penalized (as in llama.cpp).
 */
final class DryPenalty {
    /** The float range's log: base^exponent stays finite below it. */
    private static final double FLOAT_MAX_LOG = Math.log(Float.MAX_VALUE);

    private final GenerateOptions.Dry options;
    private final IntFunction<String> tokenText;
    /** Per token id: 0 not yet known, 1 breaks sequences, 2 does not. */
    private final byte[] breaks;
    /** The longest run each token id would extend, in this call; all zero between calls. */
    private final int[] longest;
    private int[] z = new int[0];
    private int[] touched = new int[0];

    DryPenalty(GenerateOptions.Dry options, int vocabularySize, IntFunction<String> tokenText) {
        this.options = options;
        this.tokenText = tokenText;
        this.breaks = new byte[vocabularySize];
        this.longest = new int[vocabularySize];
    }

    void apply(float[] logits, int[] history, int length) {
        int window = options.lastN() < 0 ? length : Math.min(length, options.lastN());
        int allowed = options.allowedLength();
        if (window <= allowed) {
            return;
        }
        // runs may not reach back past the latest breaker
        int limit = window;
        for (int i = 0; i < window; i++) {
            if (breaks(history[length - 1 - i])) {
                limit = i;
                break;
            }
        }
        if (limit < allowed) {
            return;
        }
        if (z.length < window) {
            z = new int[window];
            touched = new int[window];
        }
        zFunctionReversed(history, length, window);
        int count = 0;
        for (int k = 1; k < window; k++) {
            int run = Math.min(z[k], limit);
            int next = history[length - k]; // the token that followed that earlier occurrence
            if (run >= allowed && !breaks(next)) { // a breaker ends repetitions: it is never penalized
                if (longest[next] == 0) {
                    touched[count++] = next;
                }
                longest[next] = Math.max(longest[next], run);
            }
        }
        double base = options.base();
        int maxExponent = base > 1.000001 ? (int) (FLOAT_MAX_LOG / Math.log(base)) : 0;
        for (int i = 0; i < count; i++) {
            int id = touched[i];
            int exponent = Math.min(longest[id] - allowed, maxExponent);
            double penalty = options.multiplier() * Math.pow(base, exponent);
            logits[id] = (float) Math.max(logits[id] - penalty, -Float.MAX_VALUE);
            longest[id] = 0;
        }
    }

    /**
     * {@code z[k]}, for the window read backwards from the latest token ({@code r(i) = history[length - 1 - i]}):
     * the length of the longest common prefix of {@code r} and {@code r} shifted by {@code k}. That is how
     * many of the latest tokens also occur ending {@code k} tokens earlier.
     */
    private void zFunctionReversed(int[] history, int length, int window) {
        int last = length - 1;
        int boxStart = 0;
        int boxEnd = 0; // [boxStart, boxEnd) matches a prefix
        for (int k = 1; k < window; k++) {
            int n = k < boxEnd ? Math.min(boxEnd - k, z[k - boxStart]) : 0;
            while (k + n < window && history[last - n] == history[last - k - n]) {
                n++;
            }
            z[k] = n;
            if (k + n > boxEnd) {
                boxStart = k;
                boxEnd = k + n;
            }
        }
    }

    private boolean breaks(int id) {
        if (breaks[id] == 0) {
            String text = tokenText.apply(id);
            boolean found = false;
            for (String b : options.sequenceBreakers()) {
                found |= text.contains(b);
            }
            breaks[id] = (byte) (found ? 1 : 2);
        }
        return breaks[id] == 1;
    }
}
