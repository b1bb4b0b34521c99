package dev.inferj;

import java.util.Arrays;

/**
 * How often a mixture-of-experts model's router chose each expert of each layer, counted over the
 * tokens a {@link Session} has evaluated (prompt and generated alike): each token adds one to each of
 * the {@code expertsUsed} experts it was routed to, in every layer. A snapshot: later calls do not
 * change it. A dense model has no experts ({@link #experts()} is 0).
 */
public final class ExpertUsage {
    private final long[][] counts;

    ExpertUsage(long[][] counts) {
        this.counts = new long[counts.length][];
        for (int l = 0; l < counts.length; l++) {
            this.counts[l] = counts[l].clone();
        }
    }

    /** Layers of the model. */
    public int layers() {
        return counts.length;
    }

    /** Experts in each layer; 0 for a dense model. */
    public int experts() {
        return counts.length == 0 ? 0 : counts[0].length;
    }

    /** Tokens routed to {@code expert} in {@code layer}. */
    public long count(int layer, int expert) {
        return counts[layer][expert];
    }

    /** The counts of every expert of {@code layer}, a copy. */
    public long[] counts(int layer) {
        return counts[layer].clone();
    }

    /** Routing choices made in {@code layer}: tokens evaluated times experts used per token. */
    public long total(int layer) {
        return Arrays.stream(counts[layer]).sum();
    }

    /** The share of {@code layer}'s routing choices that went to {@code expert}, 0 before any token. */
    public double share(int layer, int expert) {
        long total = total(layer);
        return total == 0 ? 0 : (double) counts[layer][expert] / total;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("ExpertUsage[");
        for (int l = 0; l < counts.length; l++) {
            s.append(l == 0 ? "" : ", ").append(Arrays.toString(counts[l]));
        }
        return s.append(']').toString();
    }
}
