package dev.inferj.sampling;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Top-k, then top-p (nucleus), then temperature, then a draw: the usual chain. Candidates are
 * ranked by one long key a token (the logit's order-preserving bits above the inverted id, so
 * ties go to the lower id); buffers are sized once for the vocabulary.
 */
public final class RandomSampler implements Sampler {
    private final float temperature;
    private final int topK;
    private final float topP;
    private final SplittableRandom random;
    private final long[] keys;
    private final double[] weights;

    public RandomSampler(float temperature, int topK, float topP, long seed, int vocabularySize) {
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
        this.keys = new long[vocabularySize];
        this.weights = new double[vocabularySize];
    }

    @Override
    public int sample(float[] logits) {
        int kept = rankCandidates(logits);
        float max = logits[id(keys[0])];
        double sum = 0;
        for (int i = 0; i < kept; i++) {
            weights[i] = Math.exp((logits[id(keys[i])] - max) / temperature);
            sum += weights[i];
        }
        int nucleus = kept;
        double cumulative = 0;
        for (int i = 0; i < kept; i++) {
            cumulative += weights[i];
            if (cumulative >= topP * sum) {
                nucleus = i + 1;
                sum = cumulative;
                break;
            }
        }
        double r = random.nextDouble() * sum;
        for (int i = 0; i < nucleus - 1; i++) {
            r -= weights[i];
            if (r < 0) {
                return id(keys[i]);
            }
        }
        return id(keys[nucleus - 1]);
    }

    /** Puts the best candidates, best first, in {@code keys[0, result)}. */
    private int rankCandidates(float[] logits) {
        int n = logits.length;
        int k = topK > 0 ? Math.min(topK, n) : n;
        if (k == n) {
            for (int i = 0; i < n; i++) {
                keys[i] = key(logits[i], i);
            }
            Arrays.sort(keys, 0, n);
        } else {
            // keys[0, k) is a min-heap of the k best seen so far
            for (int i = 0; i < k; i++) {
                keys[i] = key(logits[i], i);
                siftUp(i);
            }
            for (int i = k; i < n; i++) {
                long key = key(logits[i], i);
                if (key > keys[0]) {
                    keys[0] = key;
                    siftDown(0, k);
                }
            }
            Arrays.sort(keys, 0, k);
        }
        // ascending -> descending
        for (int i = 0, j = k - 1; i < j; i++, j--) {
            long t = keys[i];
            keys[i] = keys[j];
            keys[j] = t;
        }
        return k;
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

    private void siftDown(int i, int size) {
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

    private static long key(float logit, int id) {
        int bits = Float.floatToIntBits(logit);
        int ordered = bits ^ ((bits >> 31) & 0x7fffffff);
        return ((long) ordered << 32) | (0xffffffffL - id);
    }

    private static int id(long key) {
        return (int) (0xffffffffL - (key & 0xffffffffL));
    }
}
