package dev.inferj.tokenizer;

import java.util.Arrays;

/**
 * The candidate merges of one word, smallest key first: a binary min-heap of {@code long} keys,
 * each with an {@code int} value. A tokenizer packs its merge order into the key, the priority in
 * the high half and the left symbol's index in the low half, so that equal priorities merge
 * leftmost first, as llama.cpp's queues do.
 */
final class MergeQueue {
    private long[] keys = new long[16];
    private int[] values = new int[16];
    private int size;
    private int polledValue;

    /** The key of a candidate: {@code priority} (smaller first), then {@code left} (smaller first, non-negative). */
    static long key(int priority, int left) {
        return (long) priority << 32 | left;
    }

    /**
     * A priority that orders higher scores first: the float's bits made to sort as the negated
     * value does (-0 counts as 0, so that equal scores stay equal).
     */
    static int higherFirst(float score) {
        int bits = Float.floatToIntBits(-score + 0.0f);
        return bits ^ (bits >> 31 & 0x7FFF_FFFF);
    }

    /** The left symbol's index in a key. */
    static int left(long key) {
        return (int) key;
    }

    void clear() {
        size = 0;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void add(long key, int value) {
        if (size == keys.length) {
            keys = Arrays.copyOf(keys, size * 2);
            values = Arrays.copyOf(values, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (keys[parent] <= key) {
                break;
            }
            keys[i] = keys[parent];
            values[i] = values[parent];
            i = parent;
        }
        keys[i] = key;
        values[i] = value;
    }

    /** Removes the smallest key and returns it; its value is then {@link #polledValue()}. */
    long poll() {
        long top = keys[0];
        polledValue = values[0];
        long lastKey = keys[--size];
        int lastValue = values[size];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && keys[child + 1] < keys[child]) {
                child++;
            }
            if (keys[child] >= lastKey) {
                break;
            }
            keys[i] = keys[child];
            values[i] = values[child];
            i = child;
        }
        if (size > 0) {
            keys[i] = lastKey;
            values[i] = lastValue;
        }
        return top;
    }

    /** The value of the key {@link #poll()} returned last. */
    int polledValue() {
        return polledValue;
    }
}
