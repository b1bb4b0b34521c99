package dev.inferj.sampling;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * The tokens still in the running at one sampling step, with their logits, in {@code [0, size)};
 * when {@link #sorted} they are best first, equal logits by lower id. Buffers are sized once for
 * the vocabulary. Ranking uses one long key a token: the logit's order-preserving bits above the
 * inverted id.
 */
final class Candidates {
    final int[] ids;
    final float[] logits;
    /** Filled by {@link #softmax()}: the probability of each candidate at temperature 1. */
    final double[] probabilities;
    int size;
    boolean sorted;
    private final long[] keys;

    Candidates(int vocabularySize) {
        ids = new int[vocabularySize];
        logits = new float[vocabularySize];
        probabilities = new double[vocabularySize];
        keys = new long[vocabularySize];
    }

    /** Every token of the vocabulary, with the logits of {@code source}. */
    void setAll(float[] source) {
        int n = ids.length;
        for (int i = 0; i < n; i++) {
            ids[i] = i;
        }
        System.arraycopy(source, 0, logits, 0, n);
        size = n;
        sorted = false;
    }

    /** Keeps the {@code k} best candidates (all when {@code k} is 0 or at least {@link #size}), sorted. */
    void keepBest(int k) {
        int n = size;
        if (k <= 0 || k >= n) {
            sort();
            return;
        }
        // keys[0, k) is a min-heap of the k best seen so far
        for (int i = 0; i < k; i++) {
            keys[i] = key(i);
            siftUp(i);
        }
        for (int i = k; i < n; i++) {
            long key = key(i);
            if (key > keys[0]) {
                keys[0] = key;
                siftDown(k);
            }
        }
        fromKeys(k);
    }

    /** Sorts the candidates, best first. */
    void sort() {
        if (sorted) {
            return;
        }
        for (int i = 0; i < size; i++) {
            keys[i] = key(i);
        }
        fromKeys(size);
    }

    /** The probabilities of the candidates at temperature 1, into {@link #probabilities}. */
    void softmax() {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < size; i++) {
            max = Math.max(max, logits[i]);
        }
        double sum = 0;
        for (int i = 0; i < size; i++) {
            probabilities[i] = Math.exp(logits[i] - (double) max);
            sum += probabilities[i];
        }
        for (int i = 0; i < size; i++) {
            probabilities[i] /= sum;
        }
    }

    /** Keeps the candidates whose logit is at least {@code min}, in their order; at least the best one. */
    void keepAtLeast(float min) {
        int best = best();
        int kept = 0;
        for (int i = 0; i < size; i++) {
            if (logits[i] >= min || i == best) {
                ids[kept] = ids[i];
                logits[kept] = logits[i];
                kept++;
            }
        }
        size = kept;
    }

    /**
     * Keeps the {@code n} candidates whose indices are the low 32 bits of {@code order[0, n)}, in that
     * order (which leaves them unsorted).
     */
    void keepInOrder(long[] order, int n) {
        for (int i = 0; i < n; i++) {
            int from = (int) order[i];
            keys[i] = (long) ids[from] << 32 | Float.floatToRawIntBits(logits[from]) & 0xffffffffL;
        }
        for (int i = 0; i < n; i++) {
            ids[i] = (int) (keys[i] >>> 32);
            logits[i] = Float.intBitsToFloat((int) keys[i]);
        }
        size = n;
        sorted = false;
    }

    /** Keeps the candidates whose id passes {@code test}, in their order; returns whether any is left. */
    boolean keepPassing(IntPredicate test) {
        int kept = 0;
        for (int i = 0; i < size; i++) {
            if (test.test(ids[i])) {
                ids[kept] = ids[i];
                logits[kept] = logits[i];
                kept++;
            }
        }
        size = kept;
        return kept > 0;
    }

    /** Keeps the first {@code n} candidates. */
    void truncate(int n) {
        size = n;
    }

    /** Drops the first {@code n} candidates. */
    void dropFirst(int n) {
        System.arraycopy(ids, n, ids, 0, size - n);
        System.arraycopy(logits, n, logits, 0, size - n);
        System.arraycopy(probabilities, n, probabilities, 0, size - n);
        size -= n;
    }

    /** The index of the best candidate (the lower id on equal logits). */
    int best() {
        if (sorted) {
            return 0;
        }
        int best = 0;
        for (int i = 1; i < size; i++) {
            if (logits[i] > logits[best] || logits[i] == logits[best] && ids[i] < ids[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Sorts {@code keys[0, n)} and lays the candidates out best first from them. */
    private void fromKeys(int n) {
        Arrays.sort(keys, 0, n);
        for (int i = 0; i < n; i++) {
            long key = keys[n - 1 - i];
            int id = (int) (0xffffffffL - (key & 0xffffffffL));
            ids[i] = id;
            int ordered = (int) (key >>> 32);
            logits[i] = Float.intBitsToFloat(ordered ^ ((ordered >> 31) & 0x7fffffff));
        }
        size = n;
        sorted = true;
    }

    private long key(int i) {
        int bits = Float.floatToIntBits(logits[i]);
        int ordered = bits ^ ((bits >> 31) & 0x7fffffff);
        return ((long) ordered << 32) | (0xffffffffL - ids[i]);
    }

    private void siftUp(int i) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (keys[parent] <= keys[i]) {
                return;
            }
            swap(parent, i);
            i = parent;
        }
    }

    private void siftDown(int size) {
        int i = 0;
        while (true) {
            int smallest = i;
            int l = 2 * i + 1;
            int r = l + 1;
            if (l < size && keys[l] < keys[smallest]) {
                smallest = l;
            }
            if (r < size && keys[r] < keys[smallest]) {
                smallest = r;
            }
            if (smallest == i) {
                return;
            }
            swap(i, smallest);
            i = smallest;
        }
    }

    private void swap(int a, int b) {
        long t = keys[a];
        keys[a] = keys[b];
        keys[b] = t;
    }
}
