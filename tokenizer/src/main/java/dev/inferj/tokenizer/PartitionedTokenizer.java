package dev.inferj.tokenizer;

import java.util.Objects;
import java.util.function.BiFunction;

/**
 * What the tokenizers here share, as llama.cpp's {@code tokenize} does it for every model: token
 * texts loaded as llama.cpp loads them, special tokens partitioned out of the text first
 * ({@link SpecialTokenMatcher}), the algorithm proper run on each stretch of text between them,
 * BOS and EOS around the whole; and decoding by output pieces.
 */
abstract sealed class PartitionedTokenizer implements Tokenizer permits SentencePieceTokenizer, ByteLevelBpeTokenizer {
    final Vocabulary vocabulary;
    /** Token texts as llama.cpp loads them: an empty text becomes {@code [EMPTY_<id>]}, so that it can neither match everything nor nothing. */
    final String[] texts;
    final TokenTable table;
    private final SpecialTokenMatcher specials;
    private final PieceTable pieces;

    /** @param render the output pieces of the tokens, from their texts and types */
    PartitionedTokenizer(Vocabulary vocabulary, BiFunction<String[], int[], PieceTable> render) {
        this.vocabulary = vocabulary;
        this.texts = withoutEmptyTexts(vocabulary.tokens());
        this.table = new TokenTable(texts);
        this.specials = new SpecialTokenMatcher(texts, vocabulary.tokenTypes());
        this.pieces = render.apply(texts, vocabulary.tokenTypes());
    }

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

    /** Encodes the stretches of text between special tokens for one call of {@link #encode}; may keep buffers across them. */
    interface TextEncoder {
        /**
         * Appends the ids of {@code text[start, end)}.
         *
         * @param afterSpecial the stretch opens the text or follows a special token
         */
        void encode(String text, int start, int end, boolean afterSpecial, IntList out);
    }

    abstract TextEncoder newTextEncoder();

    @Override
    public final int[] encode(String text, boolean addBos, boolean parseSpecial) {
        text = Utf8.withoutLoneSurrogates(Objects.requireNonNull(text, "text"));
        IntList out = new IntList(text.length() / 2 + 4);
        if (addBos && vocabulary.addBos()) {
            out.add(vocabulary.bosId());
        }
        IntList segments = specials.split(text, parseSpecial);
        TextEncoder encoder = null;
        boolean afterSpecial = true; // the start of the text counts as following a special token
        for (int i = 0; i < segments.size(); i += 3) {
            int id = segments.get(i + 2);
            if (id == SpecialTokenMatcher.RAW) {
                if (encoder == null) {
                    encoder = newTextEncoder();
                }
                encoder.encode(text, segments.get(i), segments.get(i + 1), afterSpecial, out);
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
    public final String decode(int[] ids) {
        return pieces.decode(ids);
    }

    @Override
    public final byte[] pieceBytes(int id) {
        return pieces.copy(id);
    }

    @Override
    public final int vocabularySize() {
        return texts.length;
    }

    @Override
    public final Vocabulary vocabulary() {
        return vocabulary;
    }

    @Override
    public final boolean isEndOfGeneration(int id) {
        return id >= 0 && (id == vocabulary.eosId() || id == vocabulary.eotId());
    }

    @Override
    public final StreamingDecoder newStreamingDecoder() {
        return new StreamingDecoder(pieces);
    }
}
