package dev.inferj.tokenizer;

/**
 * The symbols of one piece of text while BPE merges them: a doubly linked list over a buffer
 * (symbol {@code i} covers {@code symLength[i]} units from {@code symStart[i]}; a symbol merged
 * away has length 0), and the loop both tokenizers run, llama.cpp's: take the first candidate pair
 * from the {@link MergeQueue}, skip it when either side has changed since it was offered, else
 * merge the right symbol into the left and offer the two new neighbouring pairs.
 *
 * <p>Subclasses say which pairs are candidates ({@link #offer}), with the combined length as the
 * queue value, and may follow each merge ({@link #merged}). Buffers are reused across pieces.
 */
abstract class SymbolList {
    int[] symStart = new int[64];
    int[] symLength = new int[64];
    int[] prev = new int[64];
    int[] next = new int[64];
    final MergeQueue queue = new MergeQueue();

    /** Makes room for {@code n} symbols; returns whether the arrays were replaced (their contents are then lost). */
    boolean ensureCapacity(int n) {
        if (symStart.length >= n) {
            return false;
        }
        symStart = new int[n];
        symLength = new int[n];
        prev = new int[n];
        next = new int[n];
        return true;
    }

    /** Sets symbol {@code i} to {@code length} units from {@code start}, linked to its neighbours. */
    void set(int i, int start, int length) {
        symStart[i] = start;
        symLength[i] = length;
        prev[i] = i - 1;
        next[i] = i + 1;
    }

    /** Merges the {@code count} symbols {@link #set} until no candidate is left; symbol 0 then heads the list. */
    void mergeAll(int count) {
        next[count - 1] = -1;
        queue.clear();
        for (int i = 1; i < count; i++) {
            offer(i - 1, i);
        }
        while (!queue.isEmpty()) {
            long key = queue.poll();
            int left = MergeQueue.left(key);
            int right = next[left];
            // stale: the left side was merged away or grew, or the right side grew, since this pair was offered
            if (symLength[left] == 0 || right < 0 || symLength[left] + symLength[right] != queue.polledValue()) {
                continue;
            }
            merged(left, key);
            symLength[left] += symLength[right];
            symLength[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            offer(prev[left], left);
            offer(left, next[left]);
        }
    }

    /** Adds the pair to the queue when it is a candidate ({@code left} or {@code right} may be -1: no pair). */
    abstract void offer(int left, int right);

    /** Called as the pair at {@code left}, taken from the queue with {@code key}, is merged. */
    void merged(int left, long key) {
    }
}
