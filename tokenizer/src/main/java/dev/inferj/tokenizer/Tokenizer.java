package dev.inferj.tokenizer;

/**
 * Text to token ids and back for one {@link Vocabulary}, with llama.cpp's rules. Instances are
 * immutable and thread-safe.
 *
 * <pre>{@code
 * Tokenizer t = Tokenizer.of(vocabulary);
 * int[] ids = t.encode("Hello world", true, false);
 * String text = t.decode(ids);
 * }</pre>
 */
public interface Tokenizer {

    /**
     * The tokenizer for {@code vocabulary}'s model.
     *
     * @throws IllegalArgumentException when the vocabulary cannot be used: two tokens with the same
     *                                  text, or a byte-level pre-tokenizer that is not supported
     */
    static Tokenizer of(Vocabulary vocabulary) {
        return switch (vocabulary.model()) {
            case LLAMA -> new SentencePieceTokenizer(vocabulary);
            case GPT2 -> new ByteLevelBpeTokenizer(vocabulary);
        };
    }

    /**
     * The ids of {@code text}.
     *
     * @param addBos       add the special tokens the vocabulary asks for, as llama.cpp's
     *                     {@code add_special}: BOS in front when {@link Vocabulary#addBos()}, EOS
     *                     at the end when {@link Vocabulary#addEos()}
     * @param parseSpecial also recognize control tokens written out in the text (such as
     *                     {@code <s>}); user-defined tokens are recognized either way
     */
    int[] encode(String text, boolean addBos, boolean parseSpecial);

    /**
     * The text of {@code ids}: their {@linkplain #pieceBytes pieces} concatenated and decoded as
     * UTF-8, each invalid or incomplete sequence becoming U+FFFD. Nothing is stripped: the space a
     * SentencePiece encoding put in front of the text comes back.
     */
    String decode(int[] ids);

    /**
     * What token {@code id} stands for in output text, as llama.cpp renders a piece: for a normal
     * token its text with a space for each U+2581 (SentencePiece), or the bytes its characters
     * stand for (byte-level BPE); the byte itself for a byte token, nothing for control, unknown
     * and unused tokens, the raw text for user-defined tokens. May be part of a UTF-8 sequence.
     */
    byte[] pieceBytes(int id);

    /** Number of tokens. */
    int vocabularySize();

    Vocabulary vocabulary();

    /** Whether generation stops at {@code id}: the vocabulary's EOS or EOT token. */
    boolean isEndOfGeneration(int id);

    /** A fresh decoder for text generated one token at a time. */
    StreamingDecoder newStreamingDecoder();
}
