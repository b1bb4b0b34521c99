package dev.inferj.tokenizer;

import java.util.Arrays;

/**
 * GPT-2's reversible mapping of the 256 byte values onto printable characters, in which byte-level
 * BPE vocabularies write their tokens: the printable bytes {@code !..~}, {@code ¡..¬} and
 * {@code ®..ÿ} stand for themselves, the 68 others (control characters, space, DEL, NBSP, soft
 * hyphen) become U+0100.. in byte order, so that a space is {@code Ġ} (U+0120) and a newline
 * {@code Ċ} (U+010A).
 */
final class ByteEncoding {
    private static final char[] CHAR_OF_BYTE = new char[256];
    /** Byte of each char below U+0144, or -1. */
    private static final int[] BYTE_OF_CHAR = new int[0x144];

    static {
        Arrays.fill(BYTE_OF_CHAR, -1);
        int next = 0x100;
        for (int b = 0; b < 256; b++) {
            boolean printable = b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE;
            char c = printable ? (char) b : (char) next++;
            CHAR_OF_BYTE[b] = c;
            BYTE_OF_CHAR[c] = b;
        }
    }

    private ByteEncoding() {
    }

    /** The character that stands for byte {@code b} (0..255). */
    static char charOf(int b) {
        return CHAR_OF_BYTE[b];
    }

    /** The byte character {@code c} stands for, or -1 when it stands for none. */
    static int byteOf(int c) {
        return c >= 0 && c < BYTE_OF_CHAR.length ? BYTE_OF_CHAR[c] : -1;
    }
}
