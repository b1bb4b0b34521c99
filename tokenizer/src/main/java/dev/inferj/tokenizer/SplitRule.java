package dev.inferj.tokenizer;

import static dev.inferj.tokenizer.CodepointFlags.LETTER;
import static dev.inferj.tokenizer.CodepointFlags.MARK;
import static dev.inferj.tokenizer.CodepointFlags.NUMBER;
import static dev.inferj.tokenizer.CodepointFlags.WHITESPACE;

import java.util.Arrays;

/**
 * One step of a byte-level pre-tokenizer: cuts a piece of text into smaller pieces, the way one
 * of the regular expressions llama.cpp lists for a family (in {@code llm_tokenizer_bpe}) cuts it.
 * A family applies its steps one after the other, each to every piece the previous step left.
 *
 * <p>Nothing here is a general regular expression engine: each expression a supported family uses
 * is written out by hand, in linear time, with the results llama.cpp gets. Where llama.cpp has a
 * hand-written splitter of its own (GPT-2's and Llama 3's expressions and their variants) that
 * splitter's results are the reference, quirks included. Where it runs {@code std::regex}, the
 * reference is ECMAScript semantics (leftmost match, greedy, backtracking) on llama.cpp's view
 * of the text: for an expression with {@code \p{..}} classes, every code point above U+007F is
 * reduced to its category (so {@code \p{L}} means "letter" by llama.cpp's tables, and an ASCII
 * character matches {@code \p{P}} or {@code \p{S}} by the ASCII sets llama.cpp spells out, in
 * which {@code ~} is no symbol); for one without, code points match literally. In both views a
 * non-ASCII white-space character only ever matches {@code \s}.
 */
interface SplitRule {

    /**
     * Appends to {@code ends} the end of every piece {@code [from, to)} is cut into, in order; the
     * last is {@code to}. Reads only code points in {@code [from, to)}.
     */
    void split(Codepoints text, int from, int to, IntList ends);

    /** The code points of a piece of text, with their {@link CodepointFlags}; buffers reused across pieces. */
    final class Codepoints {
        int[] cps = new int[64];
        int[] flags = new int[64];
        int length;

        /** Loads {@code s[start, end)} (which holds no unpaired surrogate). */
        void load(String s, int start, int end) {
            if (cps.length < end - start) {
                cps = new int[end - start];
                flags = new int[end - start];
            }
            int n = 0;
            for (int i = start; i < end; n++) {
                int cp = s.codePointAt(i);
                cps[n] = cp;
                flags[n] = CodepointFlags.of(cp);
                i += Character.charCount(cp);
            }
            length = n;
        }
    }

    /** A set of code points as a pattern sees them. */
    @FunctionalInterface
    interface CharClass {
        boolean contains(int cp, int flags);

        /** The code points with any of the {@code categories} (llama.cpp's {@code \p{..}} in a collapsed pattern). */
        static CharClass category(int categories) {
            return (cp, flags) -> (flags & categories) != 0;
        }

        /** {@code category}, or one of the ASCII characters {@code extra}. */
        static CharClass categoryOr(int categories, String extra) {
            return (cp, flags) -> (flags & categories) != 0 || cp < 0x80 && extra.indexOf(cp) >= 0;
        }

        /**
         * The code points in the inclusive ranges {@code lo0, hi0, lo1, hi1, ...}, matched literally;
         * a non-ASCII white-space character never matches (llama.cpp hands {@code std::wregex} such
         * characters as U+000B).
         */
        static CharClass ranges(int... bounds) {
            int n = bounds.length / 2;
            long[] sorted = new long[n];
            for (int i = 0; i < n; i++) {
                sorted[i] = (long) bounds[2 * i] << 32 | bounds[2 * i + 1];
            }
            Arrays.sort(sorted);
            int[] lo = new int[n];
            int[] hi = new int[n];
            for (int i = 0; i < n; i++) {
                lo[i] = (int) (sorted[i] >>> 32);
                hi[i] = (int) sorted[i];
            }
            return (cp, flags) -> {
                if (cp >= 0x80 && (flags & WHITESPACE) != 0) {
                    return false;
                }
                int i = Arrays.binarySearch(lo, cp);
                if (i < 0) {
                    i = -i - 2; // the last range starting below cp
                }
                return i >= 0 && cp <= hi[i];
            };
        }
    }

    /** Each maximal run of {@code c} is a piece: {@code c+}. */
    static SplitRule runs(CharClass c) {
        return (Matches) (t, p, to) -> c.contains(t.cps[p], t.flags[p]) ? runEnd(t, c, p, to) : -1;
    }

    /** Each code point in {@code c} is a piece of its own: {@code c}. */
    static SplitRule singles(CharClass c) {
        return (Matches) (t, p, to) -> c.contains(t.cps[p], t.flags[p]) ? p + 1 : -1;
    }

    /** A run of {@code c}, with the white-space character before it if there is one: {@code \s?c+}. */
    static SplitRule runsAfterOptionalSpace(CharClass c) {
        return (Matches) (t, p, to) -> {
            if ((t.flags[p] & WHITESPACE) != 0 && p + 1 < to && c.contains(t.cps[p + 1], t.flags[p + 1])) {
                return runEnd(t, c, p + 1, to);
            }
            return c.contains(t.cps[p], t.flags[p]) ? runEnd(t, c, p, to) : -1;
        };
    }

    /** Three ASCII digits in a row, taken from the left: {@code [0-9][0-9][0-9]}. */
    static SplitRule threeDigits() {
        return (Matches) (t, p, to) -> p + 2 < to && isDigit(t.cps[p]) && isDigit(t.cps[p + 1]) && isDigit(t.cps[p + 2])
                ? p + 3 : -1;
    }

    /** The white space that ends the piece, if any: {@code \s+$}. */
    static SplitRule trailingWhitespace() {
        return (t, from, to, ends) -> {
            int start = to;
            while (start > from && (t.flags[start - 1] & WHITESPACE) != 0) {
                start--;
            }
            if (start > from && start < to) {
                ends.add(start);
            }
            ends.add(to);
        };
    }

    private static boolean isDigit(int cp) {
        return cp >= '0' && cp <= '9';
    }

    private static int runEnd(Codepoints t, CharClass c, int p, int to) {
        while (p < to && c.contains(t.cps[p], t.flags[p])) {
            p++;
        }
        return p;
    }

    /**
     * A pattern applied as {@code std::regex_iterator} applies it: the leftmost match, then the
     * leftmost match after it, and so on; each match is a piece, and so is each stretch of text
     * between matches.
     */
    @FunctionalInterface
    interface Matches extends SplitRule {
        /** The end of the match that starts at {@code p}, or -1 when none does. */
        int matchEnd(Codepoints text, int p, int to);

        @Override
        default void split(Codepoints text, int from, int to, IntList ends) {
            int gapStart = from;
            for (int p = from; p < to; ) {
                int end = matchEnd(text, p, to);
                if (end < 0) {
                    p++;
                    continue;
                }
                if (p > gapStart) {
                    ends.add(p);
                }
                ends.add(end);
                p = gapStart = end;
            }
            if (gapStart < to) {
                ends.add(to);
            }
        }
    }

    /**
     * GPT-2's expression {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}
     * as llama.cpp's own splitter runs it.
     */
    static SplitRule gpt2Words() {
        return (Pieces) (t, p, to) -> {
            int cp = t.cps[p];
            int contraction = contraction(t, p, to, false);
            if (contraction > 0) {
                return contraction;
            }
            // an optional leading space, then a run of letters, of digits, or of anything else but white space
            int q = cp == ' ' ? p + 1 : p;
            int first = flagsAt(t, q, to);
            int kind = (first & LETTER) != 0 ? LETTER : first & NUMBER;
            if (kind != 0) {
                while ((flagsAt(t, q, to) & kind) != 0) {
                    q++;
                }
                return q;
            }
            if (first != 0 && (first & (WHITESPACE | LETTER | NUMBER)) == 0) {
                return otherRunEnd(t, q, to, WHITESPACE | LETTER | NUMBER);
            }
            return whitespaceEnd(t, p, to, false);
        };
    }

    /**
     * Llama 3's expression {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
     * ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+} as llama.cpp's own splitter runs it, and
     * its variants: Qwen 2's takes digits one at a time ({@code maxDigits} 1), Qwen 3.5's counts
     * combining marks as letters ({@code marksAreLetters}).
     */
    static SplitRule llama3Words(int maxDigits, boolean marksAreLetters) {
        int letter = marksAreLetters ? LETTER | MARK : LETTER;
        return (Pieces) (t, p, to) -> {
            int cp = t.cps[p];
            int flags = t.flags[p];
            int contraction = contraction(t, p, to, true);
            if (contraction > 0) {
                return contraction;
            }
            // letters, with one character before them that is no line break or digit
            if (cp != '\r' && cp != '\n' && (flags & NUMBER) == 0
                    && ((flags & letter) != 0 || (flagsAt(t, p + 1, to) & letter) != 0)) {
                int q = p + 1;
                while ((flagsAt(t, q, to) & letter) != 0) {
                    q++;
                }
                return q;
            }
            if ((flags & NUMBER) != 0) {
                int q = p + 1;
                while (q < to && q - p < maxDigits && (t.flags[q] & NUMBER) != 0) {
                    q++;
                }
                return q;
            }
            // an optional space, a run of anything but white space, letters and digits, then line breaks
            int q = cp == ' ' ? p + 1 : p;
            int other = WHITESPACE | letter | NUMBER;
            if ((flagsAt(t, q, to) & other) == 0) {
                q = otherRunEnd(t, q, to, other);
                while (q < to && (t.cps[q] == '\r' || t.cps[q] == '\n')) {
                    q++;
                }
                return q;
            }
            return whitespaceEnd(t, p, to, true);
        };
    }

    /**
     * A rule that cuts a piece from left to right, one piece at a time, the way llama.cpp's own
     * splitters do.
     */
    @FunctionalInterface
    interface Pieces extends SplitRule {
        /** The end of the piece that starts at {@code p} ({@code p < to}); always past {@code p}. */
        int pieceEnd(Codepoints text, int p, int to);

        @Override
        default void split(Codepoints text, int from, int to, IntList ends) {
            for (int p = from; p < to; ) {
                p = pieceEnd(text, p, to);
                ends.add(p);
            }
        }
    }

    /** The flags at {@code i}, or 0 outside the piece. */
    private static int flagsAt(Codepoints t, int i, int to) {
        return i < to ? t.flags[i] : 0;
    }

    /** The end of {@code 's}, {@code 't}, {@code 're}, {@code 've}, {@code 'm}, {@code 'll} or {@code 'd} at {@code p}, or -1. */
    private static int contraction(Codepoints t, int p, int to, boolean ignoreCase) {
        if (t.cps[p] != '\'' || p + 1 >= to) {
            return -1;
        }
        int a = lower(t.cps[p + 1], ignoreCase);
        if (a == 's' || a == 't' || a == 'm' || a == 'd') {
            return p + 2;
        }
        if (p + 2 < to) {
            int b = lower(t.cps[p + 2], ignoreCase);
            if (a == 'r' && b == 'e' || a == 'v' && b == 'e' || a == 'l' && b == 'l') {
                return p + 3;
            }
        }
        return -1;
    }

    /** Only ASCII letters lower-case to the letters of a contraction. */
    private static int lower(int cp, boolean ignoreCase) {
        return ignoreCase && cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp;
    }

    /** The end of the run from {@code q} of code points with none of {@code excluded}. */
    private static int otherRunEnd(Codepoints t, int q, int to, int excluded) {
        while (q < to && (t.flags[q] & excluded) == 0) {
            q++;
        }
        return q;
    }

    /**
     * The white space at {@code p}: up to the last line break in it when {@code lineBreaks}
     * ({@code \s*[\r\n]+}); else all of it when it ends the piece, all but its last character when
     * something follows ({@code \s+(?!\S)}, leaving that character to lead the next word), or
     * the single character at {@code p} when it is not white space at all.
     */
    private static int whitespaceEnd(Codepoints t, int p, int to, boolean lineBreaks) {
        int q = p;
        int afterLastBreak = -1;
        while (q < to && (t.flags[q] & WHITESPACE) != 0) {
            if (t.cps[q] == '\r' || t.cps[q] == '\n') {
                afterLastBreak = q + 1;
            }
            q++;
        }
        if (lineBreaks && afterLastBreak > 0) {
            return afterLastBreak;
        }
        if (q - p > 1 && q < to) {
            return q - 1;
        }
        return q > p ? q : p + 1;
    }
}
