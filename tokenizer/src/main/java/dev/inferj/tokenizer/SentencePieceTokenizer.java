package dev.inferj.tokenizer;

import java.util.Arrays;
import java.util.Objects;

/**
 * SentencePiece-style BPE as llama.cpp runs it for GGUF vocabularies of model {@code "llama"}
 * (Llama 2, Mistral, Gemma).
 *
 * <p>Encoding: special tokens are split out first ({@link SpecialTokenMatcher}). Each remaining
 * piece of text gets a leading space when the vocabulary asks for a space prefix and the piece
 * opens the text or follows a special token; spaces become U+2581. The piece is cut into
 * characters, then the adjacent pair whose concatenation is a token with the highest score is
 * merged, again and again (ties: the leftmost pair), until no pair forms a token. Every symbol
 * left is then a token, or a single character no token covers, which is written as its UTF-8
 * bytes with the byte tokens {@code <0xHH>}.
 */
final class SentencePieceTokenizer implements Tokenizer {
    private static final char SPACE_MARK = '\u2581';

    private final Vocabulary vocabulary;
    private final String[] texts;
    private final float[] scores;
    private final TokenTable table;
    /** Token of each byte value for byte fallback, or -1. */
    private final int[] byteTokens = new int[256];
    private final SpecialTokenMatcher specials;
    private final PieceTable pieces;

    SentencePieceTokenizer(Vocabulary vocabulary) {
        this.vocabulary = vocabulary;
        this.texts = withoutEmptyTexts(vocabulary.tokens());
        this.scores = vocabulary.scores();
        this.table = new TokenTable(texts);
        for (int b = 0; b < 256; b++) {
            int id = table.get(String.format("<0x%02X>", b));
            if (id < 0 && b < 0x80) {
                id = table.get(String.valueOf((char) b)); // llama.cpp's second choice: the byte as a one-character token
            }
            byteTokens[b] = id;
        }
        this.specials = new SpecialTokenMatcher(texts, vocabulary.tokenTypes());
        this.pieces = PieceTable.sentencePiece(texts, vocabulary.tokenTypes());
    }

    /** llama.cpp loads an empty token text as {@code [EMPTY_<id>]}; so do we, so that it can neither match everything nor nothing. */
    private static String[] withoutEmptyTexts(String[] tokens) {
        String[] texts = tokens;
        for (int id = 0; id < tokens.length; id++) {
            if (tokens[id].isEmpty()) {
                if (texts == tokens) {
                    texts = tokens.clone();
                }
                texts[id] = "[EMPTY_" + id + "]";
            }
        }
        return texts;
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        text = Utf8.withoutLoneSurrogates(Objects.requireNonNull(text, "text"));
        IntList out = new IntList(text.length() / 2 + 4);
        if (addBos && vocabulary.addBos()) {
            out.add(vocabulary.bosId());
        }
        IntList segments = specials.split(text, parseSpecial);
        Work work = null;
        boolean afterSpecial = true; // the start of the text counts as following a special token
        for (int i = 0; i < segments.size(); i += 3) {
            int id = segments.get(i + 2);
            if (id == SpecialTokenMatcher.RAW) {
                if (work == null) {
                    work = new Work();
                }
                work.encode(text, segments.get(i), segments.get(i + 1), vocabulary.addSpacePrefix() && afterSpecial, out);
                afterSpecial = false;
            } else {
                out.add(id);
                afterSpecial = true;
            }
        }
        if (addBos && vocabulary.addEos()) {
            out.add(vocabulary.eosId());
        }
        return out.toArray();
    }

    @Override
    public String decode(int[] ids) {
        return pieces.decode(ids);
    }

    @Override
    public byte[] pieceBytes(int id) {
        return pieces.copy(id);
    }

    @Override
    public int vocabularySize() {
        return texts.length;
    }

    @Override
    public Vocabulary vocabulary() {
        return vocabulary;
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return id >= 0 && (id == vocabulary.eosId() || id == vocabulary.eotId());
    }

    @Override
    public StreamingDecoder newStreamingDecoder() {
        return new StreamingDecoder(pieces);
    }

    /** The buffers of one encoding, reused across its pieces of text. */
    private final class Work {
        private char[] buf = new char[0];
        // symbols: a doubly linked list over buf; a merged-away symbol has length 0
        private int[] symStart = new int[0];
        private int[] symLength = new int[0];
        private int[] prev = new int[0];
        private int[] next = new int[0];
        // candidate merges, and a binary max-heap of their indices
        private int[] pairLeft = new int[16];
        private int[] pairRight = new int[16];
        private int[] pairLength = new int[16];
        private float[] pairScore = new float[16];
        private int pairs;
        private int[] heap = new int[16];
        private int heapSize;
        private final byte[] utf8 = new byte[4];

        void encode(String text, int start, int end, boolean spacePrefix, IntList out) {
            int n = end - start + (spacePrefix ? 1 : 0);
            if (buf.length < n) {
                buf = new char[n];
                symStart = new int[n];
                symLength = new int[n];
                prev = new int[n];
                next = new int[n];
            }
            int len = 0;
            if (spacePrefix) {
                buf[len++] = SPACE_MARK;
            }
            for (int i = start; i < end; i++) {
                char c = text.charAt(i);
                buf[len++] = c == ' ' ? SPACE_MARK : c;
            }
            int m = 0;
            for (int i = 0; i < len; m++) {
                int cl = Character.isHighSurrogate(buf[i]) && i + 1 < len ? 2 : 1; // pairs are whole: lone surrogates were replaced
                symStart[m] = i;
                symLength[m] = cl;
                prev[m] = m - 1;
                next[m] = m + 1;
                i += cl;
            }
            next[m - 1] = -1;

            pairs = 0;
            heapSize = 0;
            for (int i = 1; i < m; i++) {
                offer(i - 1, i);
            }
            while (heapSize > 0) {
                int p = poll();
                int left = pairLeft[p];
                int right = pairRight[p];
                // stale: one side was merged away, or grew, since this pair was offered
                if (symLength[left] == 0 || symLength[right] == 0 || symLength[left] + symLength[right] != pairLength[p]) {
                    continue;
                }
                symLength[left] += symLength[right];
                symLength[right] = 0;
                next[left] = next[right];
                if (next[right] >= 0) {
                    prev[next[right]] = left;
                }
                offer(prev[left], left);
                offer(left, next[left]);
            }

            for (int i = 0; i != -1; i = next[i]) {
                int id = table.get(buf, symStart[i], symLength[i]);
                if (id >= 0) {
                    out.add(id);
                } else {
                    // Only merges that form a token happen, so a symbol that is no token is one
                    // character: llama.cpp's re-splitting along the merges never applies here.
                    byteFallback(Character.codePointAt(buf, symStart[i]), out);
                }
            }
        }

        private void byteFallback(int codePoint, IntList out) {
            int n = Utf8.encode(codePoint, utf8, 0);
            boolean all = true;
            for (int k = 0; k < n; k++) {
                all &= byteTokens[utf8[k] & 0xFF] >= 0;
            }
            if (all) {
                for (int k = 0; k < n; k++) {
                    out.add(byteTokens[utf8[k] & 0xFF]);
                }
            } else if (vocabulary.unknownId() >= 0) {
                out.add(vocabulary.unknownId());
            } else {
                throw new IllegalArgumentException(String.format(
                        "the vocabulary has no token for U+%04X, no byte tokens for it and no unknown token", codePoint));
            }
        }

        /** Adds the pair (left, right) when their concatenation is a token. */
        private void offer(int left, int right) {
            if (left < 0 || right < 0) {
                return;
            }
            int length = symLength[left] + symLength[right];
            int id = table.get(buf, symStart[left], length);
            if (id < 0) {
                return;
            }
            if (pairs == pairLeft.length) {
                int c = pairs * 2;
                pairLeft = Arrays.copyOf(pairLeft, c);
                pairRight = Arrays.copyOf(pairRight, c);
                pairLength = Arrays.copyOf(pairLength, c);
                pairScore = Arrays.copyOf(pairScore, c);
            }
            int p = pairs++;
            pairLeft[p] = left;
            pairRight[p] = right;
            pairLength[p] = length;
            pairScore[p] = scores[id];
            if (heapSize == heap.length) {
                heap = Arrays.copyOf(heap, heapSize * 2);
            }
            int i = heapSize++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (!before(p, heap[parent])) {
                    break;
                }
                heap[i] = heap[parent];
                i = parent;
            }
            heap[i] = p;
        }

        private int poll() {
            int top = heap[0];
            int last = heap[--heapSize];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= heapSize) {
                    break;
                }
                if (child + 1 < heapSize && before(heap[child + 1], heap[child])) {
                    child++;
                }
                if (!before(heap[child], last)) {
                    break;
                }
                heap[i] = heap[child];
                i = child;
            }
            if (heapSize > 0) {
                heap[i] = last;
            }
            return top;
        }

        /** Whether pair a is merged before pair b: higher score, then further left (llama.cpp's order). */
        private boolean before(int a, int b) {
            return pairScore[b] < pairScore[a] || pairScore[b] == pairScore[a] && pairLeft[b] > pairLeft[a];
        }
    }
}
