package dev.inferj.tokenizer;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE as llama.cpp runs it for GGUF vocabularies of model {@code "gpt2"} (Llama 3,
 * Qwen, the GPT-2 family, DeepSeek, StarCoder, ...).
 *
 * <p>Encoding: special tokens are split out first ({@link SpecialTokenMatcher}). Each remaining
 * stretch of text is cut into words by the vocabulary's {@link PreTokenizer}. Each word's UTF-8
 * bytes are written as the characters that stand for them ({@link ByteEncoding}), one symbol per
 * byte; when the pre-tokenizer ignores merges and the whole word is a token, that token is the
 * result. Otherwise the adjacent pair of symbols that comes first in the merge list is merged, again
 * and again (equal pairs: the leftmost first), until no pair is in the list. Each symbol left is
 * then a token; one that is not (possible only with merges whose result is no token, or a
 * vocabulary that lacks a byte's character) is written, as llama.cpp writes it, as the tokens of
 * its single ASCII characters, its other characters being dropped. So text does not come back
 * whole from a vocabulary that lacks some byte values: Falcon's lacks 28 (U+0003 and the lead
 * byte F2 among them), StarCoder's the lead byte F1; a text's bytes that no token covers are lost.
 *
 * <p>The pre-tokenizer comes from {@link Vocabulary#preTokenizer()}. A vocabulary without one gets
 * {@link PreTokenizer#DEFAULT} and a warning through {@link System.Logger}, as llama.cpp does;
 * one that names a pre-tokenizer not supported here is refused with an
 * {@link IllegalArgumentException}, as llama.cpp refuses names it does not know: guessing would
 * give wrong ids without a sign.
 *
 * <p>Words seen before are not merged again: the ids of words up to {@value #CACHED_WORD_LENGTH}
 * chars are kept (up to {@value #CACHE_SIZE} words, then the cache starts afresh).
 *
 * <p>llama.cpp's {@code clean_spaces} setting only affects its detokenizer's optional clean-up,
 * which {@link #decode} does not do; {@link Vocabulary#addSpacePrefix()} plays no part in
 * byte-level BPE, in llama.cpp as here.
 */
final class ByteLevelBpeTokenizer extends PartitionedTokenizer {
    private static final System.Logger LOG = System.getLogger(ByteLevelBpeTokenizer.class.getName());
    static final int CACHED_WORD_LENGTH = 64;
    static final int CACHE_SIZE = 1 << 16;

    private final PreTokenizer preTokenizer;
    /** The symbol of each byte value: its character as a token id, or a symbol past the tokens when no token has that text. */
    private final int[] byteSymbols = new int[256];
    private final MergeRanks ranks;
    /** Symbol of the result of each merge, by rank. */
    private final int[] mergeResults;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    ByteLevelBpeTokenizer(Vocabulary vocabulary) {
        super(vocabulary, PieceTable::byteLevel);
        preTokenizer = PreTokenizer.forName(vocabulary.preTokenizer());
        if (PreTokenizer.isUnnamed(vocabulary.preTokenizer())) {
            LOG.log(Level.WARNING, "the vocabulary names no pre-tokenizer (GGUF tokenizer.ggml.pre): using \"default\", "
                    + "as llama.cpp does; token ids may differ from the model's own tokenizer");
        }
        Symbols symbols = new Symbols();
        for (int b = 0; b < 256; b++) {
            char[] c = {ByteEncoding.charOf(b)};
            byteSymbols[b] = symbols.of(c, 0, 1);
        }
        String[] merges = vocabulary.merges();
        ranks = new MergeRanks(merges.length);
        mergeResults = new int[merges.length];
        char[] buf = new char[16];
        for (int rank = 0; rank < merges.length; rank++) {
            // llama.cpp splits at the first space after the first character
            String merge = merges[rank];
            int n = merge.length();
            int space = merge.indexOf(' ', 1);
            if (space < 0 || space == n - 1) {
                continue; // no pair of texts, which no pair of symbols can match
            }
            if (buf.length < n) {
                buf = new char[n];
            }
            merge.getChars(0, n, buf, 0);
            int left = symbols.of(buf, 0, space);
            int right = symbols.of(buf, space + 1, n - space - 1);
            if (ranks.putIfAbsent(left, right, rank)) {
                System.arraycopy(buf, space + 1, buf, space, n - space - 1); // the two texts joined
                mergeResults[rank] = symbols.of(buf, 0, n - 1);
            }
        }
    }

    /** Token ids for texts that are tokens, and ids past them for the other texts merges name. */
    private final class Symbols {
        private final Map<String, Integer> others = new HashMap<>();
        private final List<String> otherTexts = new ArrayList<>();

        int of(char[] buf, int start, int length) {
            int id = table.get(buf, start, length);
            if (id >= 0) {
                return id;
            }
            return others.computeIfAbsent(new String(buf, start, length), t -> {
                otherTexts.add(t);
                return texts.length + otherTexts.size() - 1;
            });
        }
    }

    @Override
    TextEncoder newTextEncoder() {
        return new Work();
    }

    /** The buffers of one encoding, reused across its words. */
    private final class Work extends SymbolList implements TextEncoder {
        private final SplitRule.Codepoints codepoints = new SplitRule.Codepoints();
        private final IntList endsA = new IntList(64);
        private final IntList endsB = new IntList(64);
        private final IntList wordIds = new IntList(16);
        private final byte[] utf8 = new byte[4];
        // the word's bytes as characters, and the symbol (token id or other) each list entry stands for
        private char[] chars = new char[64];
        private int[] symbol = new int[64];

        @Override
        public void encode(String text, int start, int end, boolean afterSpecial, IntList out) {
            codepoints.load(text, start, end);
            IntList ends = preTokenizer.split(codepoints, endsA, endsB);
            int cp = 0;
            int charAt = start;
            for (int w = 0; w < ends.size(); w++) {
                int wordStart = charAt;
                for (int wordEnd = ends.get(w); cp < wordEnd; cp++) {
                    charAt += Character.charCount(codepoints.cps[cp]);
                }
                encodeWord(text, wordStart, charAt, out);
            }
        }

        private void encodeWord(String text, int start, int end, IntList out) {
            if (end - start > CACHED_WORD_LENGTH) {
                merge(text, start, end, out);
                return;
            }
            String word = text.substring(start, end);
            int[] ids = cache.get(word);
            if (ids == null) {
                wordIds.clear();
                merge(text, start, end, wordIds);
                ids = wordIds.toArray();
                if (cache.size() >= CACHE_SIZE) {
                    cache.clear();
                }
                cache.put(word, ids);
            }
            for (int id : ids) {
                out.add(id);
            }
        }

        private void merge(String text, int start, int end, IntList out) {
            int n = load(text, start, end);
            if (preTokenizer.ignoresMerges()) {
                int id = table.get(chars, 0, n);
                if (id >= 0) {
                    out.add(id);
                    return;
                }
            }
            mergeAll(n);
            for (int i = 0; i != -1; i = next[i]) {
                if (symbol[i] < texts.length) {
                    out.add(symbol[i]);
                } else {
                    for (int k = symStart[i], e = k + symLength[i]; k < e; k++) {
                        int id = chars[k] < 0x80 ? table.get(chars, k, 1) : -1;
                        if (id >= 0) {
                            out.add(id);
                        }
                    }
                }
            }
        }

        /** Loads the word's bytes as characters and as one symbol each; returns their number. */
        private int load(String text, int start, int end) {
            int max = 4 * (end - start);
            if (ensureCapacity(max)) {
                chars = new char[max];
                symbol = new int[max];
            }
            int n = 0;
            for (int i = start; i < end; ) {
                int cp = text.codePointAt(i);
                i += Character.charCount(cp);
                int bytes = Utf8.encode(cp, utf8, 0);
                for (int k = 0; k < bytes; k++, n++) {
                    int b = utf8[k] & 0xFF;
                    chars[n] = ByteEncoding.charOf(b);
                    symbol[n] = byteSymbols[b];
                    set(n, n, 1);
                }
            }
            return n;
        }

        /** Adds the pair (left, right) when it is in the merge list: earlier merges first, then further left. */
        @Override
        void offer(int left, int right) {
            if (left < 0 || right < 0) {
                return;
            }
            int rank = ranks.get(symbol[left], symbol[right]);
            if (rank >= 0) {
                queue.add(MergeQueue.key(rank, left), symLength[left] + symLength[right]);
            }
        }

        @Override
        void merged(int left, long key) {
            symbol[left] = mergeResults[(int) (key >>> 32)];
        }
    }

    /** The rank of each merge by its pair of symbols (open addressing, linear probing). */
    private static final class MergeRanks {
        private final long[] pairs;
        private final int[] ranks;
        private final int mask;

        MergeRanks(int merges) {
            int capacity = Integer.highestOneBit(Math.max(8, merges * 2) - 1) << 1;
            pairs = new long[capacity];
            ranks = new int[capacity];
            mask = capacity - 1;
            Arrays.fill(pairs, -1);
        }

        /** Records {@code rank} for the pair unless it has one already (llama.cpp keeps the first); returns whether it did. */
        boolean putIfAbsent(int left, int right, int rank) {
            long pair = (long) left << 32 | right;
            int slot = slot(pair);
            while (pairs[slot] != -1) {
                if (pairs[slot] == pair) {
                    return false;
                }
                slot = (slot + 1) & mask;
            }
            pairs[slot] = pair;
            ranks[slot] = rank;
            return true;
        }

        /** The rank of the pair, or -1. */
        int get(int left, int right) {
            long pair = (long) left << 32 | right;
            for (int slot = slot(pair); pairs[slot] != -1; slot = (slot + 1) & mask) {
                if (pairs[slot] == pair) {
                    return ranks[slot];
                }
            }
            return -1;
        }

        private int slot(long pair) {
            long h = pair * 0x9E3779B97F4A7C15L;
            return (int) (h ^ h >>> 32) & mask;
        }
    }
}
