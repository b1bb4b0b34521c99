package dev.inferj.tokenizer;

import java.util.Arrays;
import java.util.BitSet;

/**
 * Splits text around the special tokens written out in it, before the tokenizer proper sees
 * it, with the result llama.cpp's {@code tokenizer_st_partition} gives: special tokens are tried
 * longest first (UTF-8 length; equal lengths by id), and each takes every leftmost
 * non-overlapping occurrence of itself that lies wholly in text no earlier token took. Control
 * and unknown tokens take part only when special tokens are parsed; user-defined tokens always.
 *
 * <p>llama.cpp runs that loop over every special token; here one pass over the text with a trie
 * finds the occurrences of all of them first, so the cost follows the text and the matches,
 * not the size of the vocabulary (Gemma has over 6000 special tokens).
 */
final class SpecialTokenMatcher {
    /** Marks a raw text segment in {@link #split}'s output. */
    static final int RAW = -1;

    private final String[] texts;
    /** Special token ids in the order llama.cpp tries them. */
    private final int[] byRank;
    private final boolean[] alwaysMatched; // by rank: user-defined
    // trie over UTF-16 chars; children as sibling lists
    private char[] label = new char[64];
    private int[] firstChild = new int[64];
    private int[] nextSibling = new int[64];
    private int[] terminalRank = new int[64];
    private int nodes = 1;
    private final BitSet firstChars = new BitSet(1 << 16);

    SpecialTokenMatcher(String[] texts, int[] types) {
        this.texts = texts;
        int count = 0;
        int[] ids = new int[texts.length];
        for (int id = 0; id < texts.length; id++) {
            int type = types[id];
            if ((type == Vocabulary.CONTROL || type == Vocabulary.USER_DEFINED || type == Vocabulary.UNKNOWN)
                    && !texts[id].isEmpty()) {
                ids[count++] = id;
            }
        }
        long[] keys = new long[count];
        for (int i = 0; i < count; i++) {
            int id = ids[i];
            keys[i] = (long) (Integer.MAX_VALUE - Utf8.length(texts[id])) << 32 | id; // longer first, then lower id
        }
        Arrays.sort(keys);
        byRank = new int[count];
        alwaysMatched = new boolean[count];
        firstChild[0] = -1;
        terminalRank[0] = -1;
        for (int rank = 0; rank < count; rank++) {
            int id = (int) keys[rank];
            byRank[rank] = id;
            alwaysMatched[rank] = types[id] == Vocabulary.USER_DEFINED;
            insert(texts[id], rank);
        }
    }

    boolean isEmpty() {
        return byRank.length == 0;
    }

    private void insert(String text, int rank) {
        int node = 0;
        firstChars.set(text.charAt(0));
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int child = child(node, c);
            if (child < 0) {
                if (nodes == label.length) {
                    int n = nodes * 2;
                    label = Arrays.copyOf(label, n);
                    firstChild = Arrays.copyOf(firstChild, n);
                    nextSibling = Arrays.copyOf(nextSibling, n);
                    terminalRank = Arrays.copyOf(terminalRank, n);
                }
                child = nodes++;
                label[child] = c;
                firstChild[child] = -1;
                terminalRank[child] = -1;
                nextSibling[child] = firstChild[node];
                firstChild[node] = child;
            }
            node = child;
        }
        if (terminalRank[node] < 0) { // tokens have distinct texts, so this always holds
            terminalRank[node] = rank;
        }
    }

    private int child(int node, char c) {
        for (int ch = firstChild[node]; ch >= 0; ch = nextSibling[ch]) {
            if (label[ch] == c) {
                return ch;
            }
        }
        return -1;
    }

    /**
     * The segments of {@code text}, in order, as triples {@code (start, end, id)} where {@code id}
     * is a special token's id or {@link #RAW} for text between them. Empty text gives no segment.
     */
    IntList split(String text, boolean parseSpecial) {
        int n = text.length();
        IntList out = new IntList(6);
        if (n == 0) {
            return out;
        }
        // every occurrence of an eligible special token, as (rank << 32 | start): sorted, that is
        // the order llama.cpp's loops meet them in
        long[] found = new long[16];
        int count = 0;
        for (int p = 0; p < n; p++) {
            if (!firstChars.get(text.charAt(p))) {
                continue;
            }
            int node = 0;
            for (int q = p; q < n; q++) {
                node = child(node, text.charAt(q));
                if (node < 0) {
                    break;
                }
                int rank = terminalRank[node];
                if (rank >= 0 && (parseSpecial || alwaysMatched[rank])) {
                    if (count == found.length) {
                        found = Arrays.copyOf(found, count * 2);
                    }
                    found[count++] = (long) rank << 32 | p;
                }
            }
        }
        if (count == 0) {
            out.add(0);
            out.add(n);
            out.add(RAW);
            return out;
        }
        Arrays.sort(found, 0, count);
        int[] tokenAt = new int[n];
        Arrays.fill(tokenAt, -1);
        BitSet taken = new BitSet(n);
        int lastRank = -1;
        int lastEnd = 0;
        for (int i = 0; i < count; i++) {
            int rank = (int) (found[i] >>> 32);
            int start = (int) found[i];
            int end = start + texts[byRank[rank]].length();
            if (rank != lastRank) {
                lastRank = rank;
                lastEnd = 0;
            }
            // a token's own matches do not overlap (the search resumes after each), and none may
            // reach into text a longer token already took
            int firstTaken = taken.nextSetBit(start);
            if (start < lastEnd || firstTaken >= 0 && firstTaken < end) {
                continue;
            }
            taken.set(start, end);
            tokenAt[start] = byRank[rank];
            lastEnd = end;
        }
        int p = 0;
        while (p < n) {
            if (tokenAt[p] >= 0) {
                int id = tokenAt[p];
                int end = p + texts[id].length();
                out.add(p);
                out.add(end);
                out.add(id);
                p = end;
            } else {
                int end = taken.nextSetBit(p);
                if (end < 0) {
                    end = n;
                }
                out.add(p);
                out.add(end);
                out.add(RAW);
                p = end;
            }
        }
        return out;
    }
}
