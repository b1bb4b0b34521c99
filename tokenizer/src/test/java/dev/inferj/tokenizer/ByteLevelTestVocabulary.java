package dev.inferj.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds small byte-level BPE vocabularies by hand: the 256 byte characters first (id = byte
 * value), then what the test adds. Texts are given as plain text and stored in the byte-level
 * form ({@code " a"} becomes {@code "Ġa"}); special tokens are stored as given.
 */
final class ByteLevelTestVocabulary {
    private final List<String> tokens = new ArrayList<>();
    private final List<Integer> types = new ArrayList<>();
    private final List<String> merges = new ArrayList<>();
    private String pre = "gpt-2";
    private int bos = -1;
    private int eos = -1;
    private boolean addBos;
    private boolean addEos;

    ByteLevelTestVocabulary() {
        for (int b = 0; b < 256; b++) {
            add(String.valueOf(ByteEncoding.charOf(b)), Vocabulary.NORMAL);
        }
    }

    /** {@code plain} in the byte-level form tokens are written in. */
    static String encoded(String plain) {
        StringBuilder sb = new StringBuilder();
        for (byte b : plain.getBytes(StandardCharsets.UTF_8)) {
            sb.append(ByteEncoding.charOf(b & 0xFF));
        }
        return sb.toString();
    }

    /** Adds the merge of {@code left} and {@code right} (plain texts), and their concatenation as a token unless there is one. */
    ByteLevelTestVocabulary merge(String left, String right) {
        return mergeOnly(left, right).token(left + right);
    }

    /** Adds the merge of {@code left} and {@code right} (plain texts) without adding a token. */
    ByteLevelTestVocabulary mergeOnly(String left, String right) {
        merges.add(encoded(left) + " " + encoded(right));
        return this;
    }

    /** Adds a normal token (plain text) unless there is one. */
    ByteLevelTestVocabulary token(String plain) {
        if (!tokens.contains(encoded(plain))) {
            add(encoded(plain), Vocabulary.NORMAL);
        }
        return this;
    }

    /** Adds a token stored as {@code text} itself, of {@code type}. */
    ByteLevelTestVocabulary add(String text, int type) {
        tokens.add(text);
        types.add(type);
        return this;
    }

    ByteLevelTestVocabulary pre(String name) {
        pre = name;
        return this;
    }

    ByteLevelTestVocabulary bos(int id, boolean add) {
        bos = id;
        addBos = add;
        return this;
    }

    ByteLevelTestVocabulary eos(int id, boolean add) {
        eos = id;
        addEos = add;
        return this;
    }

    /** The id of the normal token for {@code plain}. */
    int id(String plain) {
        return rawId(encoded(plain));
    }

    /** The id of the token stored as {@code text}. */
    int rawId(String text) {
        int id = tokens.indexOf(text);
        if (id < 0) {
            throw new IllegalArgumentException("no token " + text);
        }
        return id;
    }

    int size() {
        return tokens.size();
    }

    Vocabulary build() {
        int[] t = types.stream().mapToInt(Integer::intValue).toArray();
        return new Vocabulary(tokens.toArray(String[]::new), new float[t.length], t, merges.toArray(String[]::new),
                TokenizerModel.GPT2, pre, bos, eos, -1, -1, -1, addBos, addEos, false);
    }

    Tokenizer tokenizer() {
        return Tokenizer.of(build());
    }
}
