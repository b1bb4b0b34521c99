package dev.inferj.tokenizer;

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
final class SentencePieceTokenizer extends PartitionedTokenizer {
    private static final char SPACE_MARK = '\u2581';

    private final float[] scores;
    /** Token of each byte value for byte fallback, or -1. */
    private final int[] byteTokens = new int[256];

    SentencePieceTokenizer(Vocabulary vocabulary) {
        super(vocabulary, PieceTable::sentencePiece);
        this.scores = vocabulary.scores();
        for (int b = 0; b < 256; b++) {
            int id = table.get(String.format("<0x%02X>", b));
            if (id < 0 && b < 0x80) {
                id = table.get(String.valueOf((char) b)); // llama.cpp's second choice: the byte as a one-character token
            }
            byteTokens[b] = id;
        }
    }

    @Override
    TextEncoder newTextEncoder() {
        return new Work();
    }

    /** The buffers of one encoding, reused across its pieces of text. */
    private final class Work extends SymbolList implements TextEncoder {
        private char[] buf = new char[64];
        private final byte[] utf8 = new byte[4];

        @Override
        public void encode(String text, int start, int end, boolean afterSpecial, IntList out) {
            boolean spacePrefix = vocabulary.addSpacePrefix() && afterSpecial;
            int n = end - start + (spacePrefix ? 1 : 0);
            if (ensureCapacity(n)) {
                buf = new char[n];
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
                set(m, i, cl);
                i += cl;
            }
            mergeAll(m);

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

        /** Adds the pair (left, right) when their concatenation is a token: higher score first, then further left (llama.cpp's order). */
        @Override
        void offer(int left, int right) {
            if (left < 0 || right < 0) {
                return;
            }
            int length = symLength[left] + symLength[right];
            int id = table.get(buf, symStart[left], length);
            if (id >= 0) {
                queue.add(MergeQueue.key(MergeQueue.higherFirst(scores[id]), left), length);
            }
        }
    }
}
