package dev.inferj.tokenizer;

/**
 * UTF-8 both ways. Decoding replaces each maximal ill-formed subpart with one U+FFFD (the
 * practice the Unicode standard recommends), so the same bytes give the same text whether they
 * arrive at once or a piece at a time.
 */
final class Utf8 {
    static final char REPLACEMENT = '\uFFFD';

    private Utf8() {
    }

    /**
     * Decodes {@code b[from, to)} onto {@code out}. Returns where decoding stopped: {@code to},
     * or, when {@code endOfInput} is false, the start of a trailing sequence that is valid so far
     * but incomplete (left for the caller to complete). At end of input such a sequence becomes
     * one U+FFFD.
     */
    static int decode(byte[] b, int from, int to, boolean endOfInput, StringBuilder out) {
        int i = from;
        while (i < to) {
            int b0 = b[i] & 0xFF;
            if (b0 < 0x80) {
                out.append((char) b0);
                i++;
                continue;
            }
            int need;
            int lo = 0x80;
            int hi = 0xBF; // range of the second byte; later bytes are always 80..BF
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                need = 1;
            } else if (b0 == 0xE0) {
                need = 2;
                lo = 0xA0; // no overlong forms
            } else if (b0 == 0xED) {
                need = 2;
                hi = 0x9F; // no surrogates
            } else if (b0 >= 0xE1 && b0 <= 0xEF) {
                need = 2;
            } else if (b0 == 0xF0) {
                need = 3;
                lo = 0x90;
            } else if (b0 == 0xF4) {
                need = 3;
                hi = 0x8F; // nothing above U+10FFFF
            } else if (b0 >= 0xF1 && b0 <= 0xF3) {
                need = 3;
            } else {
                out.append(REPLACEMENT); // a continuation byte, C0, C1 or F5..FF
                i++;
                continue;
            }
            int cp = b0 & (0x3F >> need);
            int j = i + 1;
            boolean bad = false;
            for (int k = 0; k < need; k++, j++) {
                if (j >= to) {
                    if (!endOfInput) {
                        return i;
                    }
                    out.append(REPLACEMENT);
                    return to;
                }
                int c = b[j] & 0xFF;
                if (c < (k == 0 ? lo : 0x80) || c > (k == 0 ? hi : 0xBF)) {
                    bad = true;
                    break;
                }
                cp = cp << 6 | (c & 0x3F);
            }
            if (bad) {
                out.append(REPLACEMENT);
            } else {
                out.appendCodePoint(cp);
            }
            i = j;
        }
        return to;
    }

    /** Writes the UTF-8 form of {@code cp} at {@code out[at]}; returns the number of bytes (1 to 4). */
    static int encode(int cp, byte[] out, int at) {
        if (cp < 0x80) {
            out[at] = (byte) cp;
            return 1;
        }
        if (cp < 0x800) {
            out[at] = (byte) (0xC0 | cp >> 6);
            out[at + 1] = (byte) (0x80 | cp & 0x3F);
            return 2;
        }
        if (cp < 0x10000) {
            out[at] = (byte) (0xE0 | cp >> 12);
            out[at + 1] = (byte) (0x80 | cp >> 6 & 0x3F);
            out[at + 2] = (byte) (0x80 | cp & 0x3F);
            return 3;
        }
        out[at] = (byte) (0xF0 | cp >> 18);
        out[at + 1] = (byte) (0x80 | cp >> 12 & 0x3F);
        out[at + 2] = (byte) (0x80 | cp >> 6 & 0x3F);
        out[at + 3] = (byte) (0x80 | cp & 0x3F);
        return 4;
    }

    /** Number of UTF-8 bytes of {@code s} (an unpaired surrogate counts as U+FFFD, three bytes). */
    static int length(CharSequence s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /** {@code s} with every unpaired surrogate replaced by U+FFFD (UTF-8 cannot hold one); {@code s} itself when it has none. */
    static String withoutLoneSurrogates(String s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return replaceLoneSurrogates(s);
                }
            }
        }
        return s;
    }

    private static String replaceLoneSurrogates(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                sb.append(c).append(s.charAt(++i));
            } else {
                sb.append(Character.isSurrogate(c) ? REPLACEMENT : c);
            }
        }
        return sb.toString();
    }
}
