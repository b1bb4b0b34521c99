package dev.inferj.tokenizer;

import java.util.Arrays;
import java.util.Objects;

/**
 * Everything a tokenizer needs, independent of where it was read from: the token texts with
 * their scores and types, the BPE merges (empty for SentencePiece), the special ids and the
 * flags that say which of them encoding adds.
 *
 * <p>Token types are llama.cpp's: {@link #NORMAL}, {@link #UNKNOWN}, {@link #CONTROL},
 * {@link #USER_DEFINED}, {@link #UNUSED}, {@link #BYTE}; any other value is treated as
 * undefined (never matched as a special token, rendered as nothing). A special id is {@code -1}
 * when the vocabulary has none. The arrays are copied on construction; the accessors return
 * those copies, which callers must not modify.
 *
 * @param tokens         token texts, index = id; SentencePiece texts use U+2581 for a space
 * @param scores         one score per token (SentencePiece merge priority; higher merges first)
 * @param tokenTypes     one type per token
 * @param merges         BPE merges, {@code "left right"}, highest priority first; empty for SentencePiece
 * @param model          the algorithm
 * @param preTokenizer   the pre-tokenizer family (GGUF {@code tokenizer.ggml.pre}), or {@code null}
 * @param bosId          beginning of sequence
 * @param eosId          end of sequence
 * @param eotId          end of turn
 * @param unknownId      stands for text no token covers
 * @param paddingId      padding
 * @param addBos         encoding with special tokens prepends {@code bosId}
 * @param addEos         encoding with special tokens appends {@code eosId}
 * @param addSpacePrefix SentencePiece: a space is put before text at the start and after a special token
 */
public record Vocabulary(
        String[] tokens,
        float[] scores,
        int[] tokenTypes,
        String[] merges,
        TokenizerModel model,
        String preTokenizer,
        int bosId,
        int eosId,
        int eotId,
        int unknownId,
        int paddingId,
        boolean addBos,
        boolean addEos,
        boolean addSpacePrefix) {

    public static final int UNDEFINED = 0;
    public static final int NORMAL = 1;
    public static final int UNKNOWN = 2;
    public static final int CONTROL = 3;
    public static final int USER_DEFINED = 4;
    public static final int UNUSED = 5;
    public static final int BYTE = 6;

    public Vocabulary {
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(scores, "scores");
        Objects.requireNonNull(tokenTypes, "tokenTypes");
        Objects.requireNonNull(merges, "merges");
        Objects.requireNonNull(model, "model");
        int n = tokens.length;
        if (n == 0) {
            throw new IllegalArgumentException("the vocabulary has no tokens");
        }
        if (scores.length != n) {
            throw new IllegalArgumentException(scores.length + " scores for " + n + " tokens");
        }
        if (tokenTypes.length != n) {
            throw new IllegalArgumentException(tokenTypes.length + " token types for " + n + " tokens");
        }
        tokens = tokens.clone();
        scores = scores.clone();
        tokenTypes = tokenTypes.clone();
        merges = merges.clone();
        for (int i = 0; i < n; i++) {
            if (tokens[i] == null) {
                throw new IllegalArgumentException("token " + i + " is null");
            }
            if (tokenTypes[i] == BYTE && byteValue(tokens[i]) < 0) {
                throw new IllegalArgumentException("token " + i + " has type BYTE but its text \"" + tokens[i]
                        + "\" is not <0xHH>");
            }
        }
        for (int i = 0; i < merges.length; i++) {
            if (merges[i] == null) {
                throw new IllegalArgumentException("merge " + i + " is null");
            }
        }
        checkId("bosId", bosId, n);
        checkId("eosId", eosId, n);
        checkId("eotId", eotId, n);
        checkId("unknownId", unknownId, n);
        checkId("paddingId", paddingId, n);
        if (addBos && bosId < 0) {
            throw new IllegalArgumentException("addBos is set but there is no bosId");
        }
        if (addEos && eosId < 0) {
            throw new IllegalArgumentException("addEos is set but there is no eosId");
        }
    }

    /**
     * Whether encoding adds BOS when the file does not say (no GGUF {@code add_bos_token}), as
     * llama.cpp decides: always for SentencePiece; for byte-level BPE only with the pre-tokenizers
     * llama.cpp ties it to (Llama 3's).
     *
     * @param preTokenizer GGUF {@code tokenizer.ggml.pre}, or {@code null}
     * @throws IllegalArgumentException for a byte-level pre-tokenizer that is not supported
     */
    public static boolean defaultAddBos(TokenizerModel model, String preTokenizer) {
        return switch (model) {
            case LLAMA -> true;
            case GPT2 -> PreTokenizer.forName(preTokenizer).addsBosByDefault();
        };
    }

    /** Number of tokens. */
    public int size() {
        return tokens.length;
    }

    /** The type of token {@code id}. */
    public int tokenType(int id) {
        return tokenTypes[id];
    }

    /**
     * The byte a byte token stands for: {@code text} is exactly {@code <0xHH>} with two hex digits
     * (either case). Returns -1 for any other text.
     */
    public static int byteValue(String text) {
        if (text.length() != 6 || !text.startsWith("<0x") || text.charAt(5) != '>') {
            return -1;
        }
        int hi = Character.digit(text.charAt(3), 16);
        int lo = Character.digit(text.charAt(4), 16);
        // Character.digit accepts non-ASCII digits too; a byte token is ASCII only.
        if (hi < 0 || lo < 0 || text.charAt(3) > 'f' || text.charAt(4) > 'f') {
            return -1;
        }
        return hi << 4 | lo;
    }

    private static void checkId(String name, int id, int n) {
        if (id < -1 || id >= n) {
            throw new IllegalArgumentException(name + " " + id + " is outside the vocabulary [0, " + n + ") (use -1 for none)");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Vocabulary v && Arrays.equals(tokens, v.tokens)
                && Arrays.equals(scores, v.scores) && Arrays.equals(tokenTypes, v.tokenTypes)
                && Arrays.equals(merges, v.merges) && model == v.model
                && Objects.equals(preTokenizer, v.preTokenizer) && bosId == v.bosId && eosId == v.eosId
                && eotId == v.eotId && unknownId == v.unknownId && paddingId == v.paddingId
                && addBos == v.addBos && addEos == v.addEos && addSpacePrefix == v.addSpacePrefix;
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(tokens), Arrays.hashCode(scores),
                Arrays.hashCode(tokenTypes), Arrays.hashCode(merges), model, preTokenizer,
                bosId, eosId, eotId, unknownId, paddingId, addBos, addEos, addSpacePrefix);
    }

    @Override
    public String toString() {
        return "Vocabulary[" + model + ", " + tokens.length + " tokens, " + merges.length + " merges, pre="
                + preTokenizer + ", bos=" + bosId + ", eos=" + eosId + ", eot=" + eotId + ", unk=" + unknownId
                + ", pad=" + paddingId + ", addBos=" + addBos + ", addEos=" + addEos + ", addSpacePrefix="
                + addSpacePrefix + "]";
    }
}
