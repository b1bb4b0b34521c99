package dev.inferj.tokenizer;

/**
 * Token text to id, looked up from a range of a {@code char[]} without making a String
 * (open addressing, linear probing; the hash is {@link String#hashCode()}'s, so the tokens'
 * own cached hashes are reused).
 */
final class TokenTable {
    private final String[] texts;
    private final int[] slots; // id + 1, 0 = empty
    private final int mask;

    /** @throws IllegalArgumentException when two tokens have the same text (llama.cpp refuses such a vocabulary too) */
    TokenTable(String[] texts) {
        this.texts = texts;
        int capacity = Integer.highestOneBit(Math.max(4, texts.length) * 2 - 1) << 1;
        this.slots = new int[capacity];
        this.mask = capacity - 1;
        for (int id = 0; id < texts.length; id++) {
            String t = texts[id];
            int slot = mix(t.hashCode()) & mask;
            while (slots[slot] != 0) {
                int other = slots[slot] - 1;
                if (texts[other].equals(t)) {
                    throw new IllegalArgumentException("tokens " + other + " and " + id + " have the same text \"" + t + "\"");
                }
                slot = (slot + 1) & mask;
            }
            slots[slot] = id + 1;
        }
    }

    /** The id of {@code text}, or -1. */
    int get(String text) {
        int slot = mix(text.hashCode()) & mask;
        for (int s; (s = slots[slot]) != 0; slot = (slot + 1) & mask) {
            if (texts[s - 1].equals(text)) {
                return s - 1;
            }
        }
        return -1;
    }

    /** The id of the text {@code buf[off, off + len)}, or -1. */
    int get(char[] buf, int off, int len) {
        int h = 0;
        for (int i = off, end = off + len; i < end; i++) {
            h = 31 * h + buf[i];
        }
        int slot = mix(h) & mask;
        for (int s; (s = slots[slot]) != 0; slot = (slot + 1) & mask) {
            String t = texts[s - 1];
            if (t.length() == len && equal(t, buf, off, len)) {
                return s - 1;
            }
        }
        return -1;
    }

    private static boolean equal(String t, char[] buf, int off, int len) {
        for (int i = 0; i < len; i++) {
            if (t.charAt(i) != buf[off + i]) {
                return false;
            }
        }
        return true;
    }

    private static int mix(int h) {
        h *= 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}
