package dev.inferj.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.GgufFormatException;
import dev.inferj.UnsupportedModelException;
import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufValue;
import dev.inferj.gguf.GgufValueType;
import dev.inferj.gguf.GgufWriter;
import dev.inferj.tokenizer.TokenizerModel;
import dev.inferj.tokenizer.Vocabulary;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class VocabularyLoaderTest {
    private static final String[] TOKENS = {"<unk>", "<s>", "</s>", "<0x0A>", "\u2581a", "a"};

    /** A SentencePiece tokenizer section with everything present, changed by {@code edit}. */
    private static GgufWriter spm(Consumer<GgufWriter> edit) {
        GgufWriter w = new GgufWriter()
                .put("tokenizer.ggml.model", GgufValue.ofString("llama"))
                .put("tokenizer.ggml.tokens", GgufValue.ofStrings(TOKENS))
                .put("tokenizer.ggml.scores", GgufValue.ofFloats(0, 0, 0, 0, -1, -2))
                .put("tokenizer.ggml.token_type", GgufValue.ofInts(GgufValueType.INT32, 2, 3, 3, 6, 1, 1))
                .put("tokenizer.ggml.bos_token_id", GgufValue.ofUInt32(1))
                .put("tokenizer.ggml.eos_token_id", GgufValue.ofUInt32(2))
                .put("tokenizer.ggml.unknown_token_id", GgufValue.ofUInt32(0));
        edit.accept(w);
        return w;
    }

    private static Vocabulary load(GgufWriter w) {
        try (GgufFile f = GgufFile.parse("test.gguf", MemorySegment.ofArray(w.toByteArray()))) {
            return VocabularyLoader.fromGguf(f);
        }
    }

    private static <E extends RuntimeException> E fails(Class<E> type, GgufWriter w, String... mentions) {
        E e = assertThrows(type, () -> load(w));
        assertTrue(e.getMessage().contains("test.gguf"), e.getMessage());
        for (String m : mentions) {
            assertTrue(e.getMessage().contains(m), "\"" + e.getMessage() + "\" should mention " + m);
        }
        return e;
    }

    @Test
    void readsEveryKey() {
        Vocabulary v = load(spm(w -> w
                .put("tokenizer.ggml.pre", GgufValue.ofString("default"))
                .put("tokenizer.ggml.padding_token_id", GgufValue.ofUInt32(0))
                .put("tokenizer.ggml.eot_token_id", GgufValue.ofUInt32(2))
                .put("tokenizer.ggml.add_bos_token", GgufValue.ofBool(false))
                .put("tokenizer.ggml.add_eos_token", GgufValue.ofBool(true))
                .put("tokenizer.ggml.add_space_prefix", GgufValue.ofBool(false))));
        assertEquals(TokenizerModel.LLAMA, v.model());
        assertArrayEquals(TOKENS, v.tokens());
        assertArrayEquals(new float[] {0, 0, 0, 0, -1, -2}, v.scores());
        assertArrayEquals(new int[] {2, 3, 3, 6, 1, 1}, v.tokenTypes());
        assertEquals("default", v.preTokenizer());
        assertEquals(1, v.bosId());
        assertEquals(2, v.eosId());
        assertEquals(2, v.eotId());
        assertEquals(0, v.unknownId());
        assertEquals(0, v.paddingId());
        assertFalse(v.addBos());
        assertTrue(v.addEos());
        assertFalse(v.addSpacePrefix());
        assertEquals(0, v.merges().length);
    }

    @Test
    void absentKeysTakeLlamaCppDefaults() {
        Vocabulary v = load(new GgufWriter()
                .put("tokenizer.ggml.model", GgufValue.ofString("llama"))
                .put("tokenizer.ggml.tokens", GgufValue.ofStrings(TOKENS)));
        assertArrayEquals(new float[TOKENS.length], v.scores());
        assertArrayEquals(new int[] {1, 1, 3, 1, 1, 1}, v.tokenTypes()); // </s> is a control token by its text
        assertEquals(1, v.bosId());
        assertEquals(2, v.eosId());
        assertEquals(0, v.unknownId());
        assertEquals(-1, v.paddingId());
        assertEquals(-1, v.eotId());
        assertNull(v.preTokenizer());
        assertTrue(v.addBos());
        assertFalse(v.addEos());
        assertTrue(v.addSpacePrefix());
    }

    @Test
    void theNoneMarkersOfConvertersMeanNoToken() {
        Vocabulary v = load(spm(w -> w
                .put("tokenizer.ggml.padding_token_id", GgufValue.ofUInt32(0xFFFF_FFFFL))
                .put("tokenizer.ggml.eot_token_id", GgufValue.ofInt(GgufValueType.INT32, -1))));
        assertEquals(-1, v.paddingId());
        assertEquals(-1, v.eotId());
    }

    @Test
    void endOfGenerationLookingTokensBecomeControlTokensAndGiveTheEndOfTurn() {
        String[] tokens = {"<unk>", "<s>", "</s>", "<end_of_turn>", "a"};
        Vocabulary v = load(new GgufWriter()
                .put("tokenizer.ggml.model", GgufValue.ofString("llama"))
                .put("tokenizer.ggml.tokens", GgufValue.ofStrings(tokens))
                .put("tokenizer.ggml.token_type", GgufValue.ofInts(GgufValueType.INT32, 2, 3, 4, 4, 1)));
        assertArrayEquals(new int[] {2, 3, 3, 3, 1}, v.tokenTypes());
        assertEquals(3, v.eotId());
    }

    @Test
    void byteLevelBpeVocabulariesLoad() {
        Vocabulary v = load(new GgufWriter()
                .put("tokenizer.ggml.model", GgufValue.ofString("gpt2"))
                .put("tokenizer.ggml.tokens", GgufValue.ofStrings("a", "b", "ab"))
                .put("tokenizer.ggml.merges", GgufValue.ofStrings("a b"))
                .put("tokenizer.ggml.bos_token_id", GgufValue.ofUInt32(2))
                .put("tokenizer.ggml.eos_token_id", GgufValue.ofUInt32(2)));
        assertEquals(TokenizerModel.GPT2, v.model());
        assertArrayEquals(new String[] {"a b"}, v.merges());
        assertFalse(v.addSpacePrefix());
    }

    /** A byte-level BPE tokenizer section, changed by {@code edit}. */
    private static GgufWriter bpe(Consumer<GgufWriter> edit) {
        GgufWriter w = new GgufWriter()
                .put("tokenizer.ggml.model", GgufValue.ofString("gpt2"))
                .put("tokenizer.ggml.tokens", GgufValue.ofStrings("a", "b", "ab"))
                .put("tokenizer.ggml.merges", GgufValue.ofStrings("a b"))
                .put("tokenizer.ggml.bos_token_id", GgufValue.ofUInt32(2))
                .put("tokenizer.ggml.eos_token_id", GgufValue.ofUInt32(2));
        edit.accept(w);
        return w;
    }

    @Test
    void byteLevelBpeAddsBosByDefaultOnlyWithLlama3sPreTokenizer() {
        assertTrue(load(bpe(w -> w.put("tokenizer.ggml.pre", GgufValue.ofString("llama-bpe")))).addBos());
        assertFalse(load(bpe(w -> w.put("tokenizer.ggml.pre", GgufValue.ofString("qwen2")))).addBos());
        assertFalse(load(bpe(w -> { })).addBos());
        assertFalse(load(bpe(w -> w.put("tokenizer.ggml.pre", GgufValue.ofString("llama-bpe"))
                .put("tokenizer.ggml.add_bos_token", GgufValue.ofBool(false)))).addBos());
        assertTrue(load(bpe(w -> w.put("tokenizer.ggml.add_bos_token", GgufValue.ofBool(true)))).addBos());
    }

    @Test
    void byteLevelBpeSpecialIdsDefaultToLlamaCppsAndUnknownToNone() {
        Vocabulary v = load(new GgufWriter()
                .put("tokenizer.ggml.model", GgufValue.ofString("gpt2"))
                .put("tokenizer.ggml.tokens", GgufValue.ofStrings("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"))
                .put("tokenizer.ggml.merges", GgufValue.ofStrings()));
        assertEquals(11, v.bosId());
        assertEquals(11, v.eosId());
        assertEquals(-1, v.unknownId());
        assertFalse(v.addBos());
    }

    @Test
    void anUnsupportedPreTokenizerIsUnsupported() {
        fails(UnsupportedModelException.class, bpe(w -> w.put("tokenizer.ggml.pre", GgufValue.ofString("no-such"))),
                "tokenizer.ggml.pre", "no-such");
    }

    @Test
    void byteLevelBpeWithoutMergesIsAFormatError() {
        fails(GgufFormatException.class, bpe(w -> w.remove("tokenizer.ggml.merges")), "tokenizer.ggml.merges");
    }

    @Test
    void anUnknownTokenizerModelIsUnsupported() {
        fails(UnsupportedModelException.class, spm(w -> w.replace("tokenizer.ggml.model", GgufValue.ofString("bert"))),
                "tokenizer.ggml.model", "bert");
    }

    @Test
    void aMissingModelKeyIsAFormatError() {
        fails(GgufFormatException.class, spm(w -> w.remove("tokenizer.ggml.model")), "tokenizer.ggml.model");
    }

    @Test
    void noTokensIsAFormatError() {
        fails(GgufFormatException.class, spm(w -> w.replace("tokenizer.ggml.tokens", GgufValue.ofStrings())),
                "tokenizer.ggml.tokens");
    }

    @Test
    void scoresOfAnotherLengthAreAFormatError() {
        fails(GgufFormatException.class, spm(w -> w.replace("tokenizer.ggml.scores", GgufValue.ofFloats(0, 0))),
                "tokenizer.ggml.scores", "2", "6");
    }

    @Test
    void scoresStoredAsBytesAreAFormatError() {
        fails(GgufFormatException.class, spm(w -> w.replace("tokenizer.ggml.scores",
                GgufValue.ofInts(GgufValueType.UINT8, 0, 0, 0, 0, 1, 2))), "tokenizer.ggml.scores");
    }

    @Test
    void tokenTypesOfAnotherLengthAreAFormatError() {
        fails(GgufFormatException.class, spm(w -> w.replace("tokenizer.ggml.token_type",
                GgufValue.ofInts(GgufValueType.INT32, 1, 1, 1))), "tokenizer.ggml.token_type", "3", "6");
    }

    @Test
    void aSpecialIdOutsideTheVocabularyIsAFormatError() {
        fails(GgufFormatException.class, spm(w -> w.replace("tokenizer.ggml.eos_token_id", GgufValue.ofUInt32(6))),
                "tokenizer.ggml.eos_token_id", "6");
        fails(GgufFormatException.class, spm(w -> w.put("tokenizer.ggml.padding_token_id",
                GgufValue.ofInt(GgufValueType.INT32, -7))), "tokenizer.ggml.padding_token_id", "-7");
    }

    @Test
    void aMalformedByteTokenIsAFormatError() {
        for (String bad : new String[] {"<0x-1>", "<0xZZ>", "<0x0A", "<0x0AB>", "0x0A"}) {
            String[] tokens = TOKENS.clone();
            tokens[3] = bad;
            fails(GgufFormatException.class, spm(w -> w.replace("tokenizer.ggml.tokens", GgufValue.ofStrings(tokens))),
                    "tokenizer.ggml.tokens", "token 3", bad);
        }
    }

    @Test
    void addBosWithoutABosTokenIsAFormatError() {
        fails(GgufFormatException.class, oneTokenVocabulary(), "tokenizer.ggml.add_bos_token");
    }

    /** A one-token vocabulary, where the default BOS id 1 lies outside. */
    private static GgufWriter oneTokenVocabulary() {
        return new GgufWriter()
                .put("tokenizer.ggml.model", GgufValue.ofString("llama"))
                .put("tokenizer.ggml.tokens", GgufValue.ofStrings("a"));
    }
}
