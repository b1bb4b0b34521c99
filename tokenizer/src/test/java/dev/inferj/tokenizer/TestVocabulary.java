package dev.inferj.tokenizer;

import java.util.ArrayList;
import java.util.List;

/** Builds small SentencePiece vocabularies by hand: <unk>, <s>, </s> first, then what the test adds. */
final class TestVocabulary {
    static final int UNK = 0;
    static final int BOS = 1;
    static final int EOS = 2;

    private final List<String> tokens = new ArrayList<>();
    private final List<Float> scores = new ArrayList<>();
    private final List<Integer> types = new ArrayList<>();
    private boolean addBos = true;
    private boolean addEos;
    private boolean addSpacePrefix = true;
    private int unknownId = UNK;
    private int eotId = -1;

    TestVocabulary() {
        add("<unk>", 0, Vocabulary.UNKNOWN);
        add("<s>", 0, Vocabulary.CONTROL);
        add("</s>", 0, Vocabulary.CONTROL);
    }

    /** Adds the 256 byte tokens {@code <0x00>} .. {@code <0xFF>}. */
    TestVocabulary bytes() {
        for (int b = 0; b < 256; b++) {
            add(String.format("<0x%02X>", b), 0, Vocabulary.BYTE);
        }
        return this;
    }

    TestVocabulary add(String text, float score, int type) {
        tokens.add(text);
        scores.add(score);
        types.add(type);
        return this;
    }

    TestVocabulary normal(String text, float score) {
        return add(text, score, Vocabulary.NORMAL);
    }

    TestVocabulary addBos(boolean v) {
        addBos = v;
        return this;
    }

    TestVocabulary addEos(boolean v) {
        addEos = v;
        return this;
    }

    TestVocabulary addSpacePrefix(boolean v) {
        addSpacePrefix = v;
        return this;
    }

    TestVocabulary unknownId(int id) {
        unknownId = id;
        return this;
    }

    TestVocabulary eotId(int id) {
        eotId = id;
        return this;
    }

    int id(String text) {
        int id = tokens.indexOf(text);
        if (id < 0) {
            throw new IllegalArgumentException("no token " + text);
        }
        return id;
    }

    Vocabulary build() {
        float[] s = new float[scores.size()];
        int[] t = new int[types.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
            t[i] = types.get(i);
        }
        return new Vocabulary(tokens.toArray(String[]::new), s, t, new String[0], TokenizerModel.LLAMA, "default",
                BOS, EOS, eotId, unknownId, -1, addBos, addEos, addSpacePrefix);
    }

    Tokenizer tokenizer() {
        return Tokenizer.of(build());
    }
}
