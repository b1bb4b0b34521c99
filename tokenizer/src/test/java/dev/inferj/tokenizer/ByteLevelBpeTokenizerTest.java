package dev.inferj.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ByteLevelBpeTokenizerTest {

    private static int[] ids(ByteLevelTestVocabulary v, String... plain) {
        int[] ids = new int[plain.length];
        for (int i = 0; i < plain.length; i++) {
            ids[i] = v.id(plain[i]);
        }
        return ids;
    }

    @Test
    void bytesAreWrittenAsGpt2sCharacters() {
        assertEquals('\u0120', ByteEncoding.charOf(' '));
        assertEquals('\u010A', ByteEncoding.charOf('\n'));
        assertEquals('a', ByteEncoding.charOf('a'));
        for (int b = 0; b < 256; b++) {
            assertEquals(b, ByteEncoding.byteOf(ByteEncoding.charOf(b)));
        }
        assertEquals(-1, ByteEncoding.byteOf('\u2603'));
        // without merges every byte is its own token (ids here are byte values)
        Tokenizer t = new ByteLevelTestVocabulary().tokenizer();
        assertArrayEquals(new int[] {0x61, 0x20, 0xC3, 0xA9, 0x0A}, t.encode("a \u00e9\n", false, false));
    }

    @Test
    void theEarlierMergeInTheListMergesFirst() {
        ByteLevelTestVocabulary v = new ByteLevelTestVocabulary().merge("b", "c").merge("a", "b");
        assertArrayEquals(ids(v, "a", "bc"), v.tokenizer().encode("abc", false, false));

        ByteLevelTestVocabulary w = new ByteLevelTestVocabulary().merge("a", "b").merge("b", "c");
        assertArrayEquals(ids(w, "ab", "c"), w.tokenizer().encode("abc", false, false));
    }

    @Test
    void theSameMergeAppliesLeftmostFirst() {
        ByteLevelTestVocabulary v = new ByteLevelTestVocabulary().merge("a", "a");
        assertArrayEquals(ids(v, "aa", "a"), v.tokenizer().encode("aaa", false, false));
        assertArrayEquals(ids(v, "aa", "aa"), v.tokenizer().encode("aaaa", false, false));
    }

    @Test
    void mergedSymbolsKeepMerging() {
        ByteLevelTestVocabulary v = new ByteLevelTestVocabulary().merge("a", "b").merge("ab", "c").merge("b", "c");
        assertArrayEquals(ids(v, "abc"), v.tokenizer().encode("abc", false, false));
    }

    @Test
    void aMergeWhoseResultIsNoTokenFallsBackToItsCharacters() {
        ByteLevelTestVocabulary v = new ByteLevelTestVocabulary().mergeOnly("a", "b");
        assertArrayEquals(ids(v, "a", "b"), v.tokenizer().encode("ab", false, false));
        // ... and can still merge on into a token
        ByteLevelTestVocabulary w = new ByteLevelTestVocabulary().mergeOnly("a", "b").merge("ab", "c");
        assertArrayEquals(ids(w, "abc"), w.tokenizer().encode("abc", false, false));
    }

    @Test
    void theNonAsciiBytesOfASymbolThatIsNoTokenAreDroppedAsLlamaCppDropsThem() {
        // é is C3 A9: merged into a symbol that is no token, whose characters (Ã, ©) are not ASCII
        ByteLevelTestVocabulary v = new ByteLevelTestVocabulary().mergeOnly("a", "b");
        Vocabulary base = v.build();
        String[] merges = {ByteLevelTestVocabulary.encoded("a") + " " + ByteLevelTestVocabulary.encoded("b"), "\u00c3 \u00a9"};
        Vocabulary withMerge = new Vocabulary(base.tokens(), base.scores(), base.tokenTypes(), merges, TokenizerModel.GPT2,
                "gpt-2", -1, -1, -1, -1, -1, false, false, false);
        assertArrayEquals(new int[] {'x'}, Tokenizer.of(withMerge).encode("x\u00e9", false, false));
    }

    @Test
    void llama3TakesAWordThatIsATokenWholeWithoutMerging() {
        ByteLevelTestVocabulary v = new ByteLevelTestVocabulary().token("abc").pre("llama-bpe");
        assertArrayEquals(ids(v, "abc"), v.tokenizer().encode("abc", false, false));
        assertArrayEquals(ids(v, "a", "b", "c"), v.pre("gpt-2").tokenizer().encode("abc", false, false));
    }

    @Test
    void wordsAreMergedSeparately() {
        ByteLevelTestVocabulary v = new ByteLevelTestVocabulary().merge(" ", "a").merge("a", " ");
        // "a a" is the words "a" and " a": "a " never forms
        assertArrayEquals(ids(v, "a", " a"), v.tokenizer().encode("a a", false, false));
    }

    @Test
    void userDefinedTokensAreAlwaysRecognizedControlTokensOnlyWhenParsingSpecialTokens() {
        ByteLevelTestVocabulary v = new ByteLevelTestVocabulary()
                .add("<|end|>", Vocabulary.CONTROL).add("<tool>", Vocabulary.USER_DEFINED);
        int end = v.rawId("<|end|>");
        int tool = v.rawId("<tool>");
        Tokenizer t = v.tokenizer();
        assertArrayEquals(new int[] {'x', tool, 'y'}, t.encode("x<tool>y", false, false));
        assertArrayEquals(new int[] {'x', end}, t.encode("x<|end|>", false, true));
        int[] literal = t.encode("x<|end|>", false, false);
        assertEquals(8, literal.length);
        assertEquals("x<|end|>", t.decode(literal));
    }

    @Test
    void bosAndEosComeFromTheVocabulary() {
        ByteLevelTestVocabulary v = new ByteLevelTestVocabulary().add("<s>", Vocabulary.CONTROL).add("</s>", Vocabulary.CONTROL);
        int bos = v.rawId("<s>");
        int eos = v.rawId("</s>");
        Tokenizer t = v.bos(bos, true).eos(eos, true).tokenizer();
        assertArrayEquals(new int[] {bos, 'a', eos}, t.encode("a", true, false));
        assertArrayEquals(new int[] {'a'}, t.encode("a", false, false));
        assertArrayEquals(new int[] {bos, eos}, t.encode("", true, false));
        assertArrayEquals(new int[] {'a'}, v.bos(bos, false).eos(eos, false).tokenizer().encode("a", true, false));
        assertTrue(t.isEndOfGeneration(eos));
        assertFalse(t.isEndOfGeneration(bos));
    }

    @Test
    void piecesAreBytesForNormalTokensTextForUserDefinedAndNothingForControl() {
        ByteLevelTestVocabulary v = new ByteLevelTestVocabulary().merge(" ", "\u00e9")
                .add("<|end|>", Vocabulary.CONTROL).add("<tool>", Vocabulary.USER_DEFINED)
                .add("\u0120x\u2603", Vocabulary.NORMAL);
        Tokenizer t = v.tokenizer();
        assertArrayEquals(" \u00e9".getBytes(StandardCharsets.UTF_8), t.pieceBytes(v.id(" \u00e9")));
        assertArrayEquals(new byte[0], t.pieceBytes(v.rawId("<|end|>")));
        assertArrayEquals("<tool>".getBytes(StandardCharsets.UTF_8), t.pieceBytes(v.rawId("<tool>")));
        // a character that stands for no byte: llama.cpp's marker, with the token's text
        assertEquals(" x[UNK_BYTE_0xe29883\u0120x\u2603]", t.decode(new int[] {v.rawId("\u0120x\u2603")}));
        assertEquals(" \u00e9<tool>", t.decode(new int[] {v.id(" \u00e9"), v.rawId("<|end|>"), v.rawId("<tool>")}));
    }

    @Test
    void streamingHoldsBackTheBytesOfAnIncompleteCharacter() {
        Tokenizer t = new ByteLevelTestVocabulary().tokenizer();
        int[] ids = t.encode("a\uD83D\uDE00", false, false);
        assertEquals(5, ids.length);
        StreamingDecoder d = t.newStreamingDecoder();
        assertEquals("a", d.accept(ids[0]));
        assertEquals("", d.accept(ids[1]));
        assertEquals("", d.accept(ids[2]));
        assertEquals("", d.accept(ids[3]));
        assertEquals("\uD83D\uDE00", d.accept(ids[4]));
    }

    @Test
    void anUnsupportedPreTokenizerIsRefusedAndNoneMeansDefault() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ByteLevelTestVocabulary().pre("no-such").tokenizer());
        assertTrue(e.getMessage().contains("no-such"), e.getMessage());
        Tokenizer unnamed = new ByteLevelTestVocabulary().pre(null).tokenizer();
        Tokenizer named = new ByteLevelTestVocabulary().pre("default").tokenizer();
        assertArrayEquals(named.encode("a, b 12345", false, false), unnamed.encode("a, b 12345", false, false));
    }

    @Test
    void onlyLlama3sPreTokenizersAddBosByDefault() {
        assertTrue(Vocabulary.defaultAddBos(TokenizerModel.GPT2, "llama-bpe"));
        assertFalse(Vocabulary.defaultAddBos(TokenizerModel.GPT2, "qwen2"));
        assertFalse(Vocabulary.defaultAddBos(TokenizerModel.GPT2, null));
        assertTrue(Vocabulary.defaultAddBos(TokenizerModel.LLAMA, null));
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.defaultAddBos(TokenizerModel.GPT2, "no-such"));
    }

    @Test
    void longInputsEncodeQuickly() {
        ByteLevelTestVocabulary v = new ByteLevelTestVocabulary().merge("a", "a").merge("aa", "aa").merge(" ", "aaaa");
        Tokenizer t = v.tokenizer();
        String words = "aaaa aab ".repeat(100_000);
        String oneWord = "ab".repeat(200_000);
        long start = System.nanoTime();
        int[] ids = t.encode(words, false, false);
        int[] longWord = t.encode(oneWord, false, false);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 5_000, "1.3 million characters took " + millis + " ms");
        assertEquals(words, t.decode(ids));
        assertEquals(oneWord, t.decode(longWord));
    }
}
