package dev.inferj.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SentencePieceTokenizerTest {

    /** a, b, c, the space mark, and the byte tokens. */
    private static TestVocabulary letters() {
        return new TestVocabulary().bytes().normal("\u2581", -1).normal("a", -1).normal("b", -1).normal("c", -1);
    }

    private static int[] ids(TestVocabulary v, String... texts) {
        int[] ids = new int[texts.length];
        for (int i = 0; i < texts.length; i++) {
            ids[i] = v.id(texts[i]);
        }
        return ids;
    }

    @Test
    void thePairWithTheHigherScoreMergesFirst() {
        TestVocabulary v = letters().addSpacePrefix(false).normal("ab", 1).normal("bc", 2);
        assertArrayEquals(ids(v, "a", "bc"), v.tokenizer().encode("abc", false, false));

        TestVocabulary w = letters().addSpacePrefix(false).normal("ab", 2).normal("bc", 1);
        assertArrayEquals(ids(w, "ab", "c"), w.tokenizer().encode("abc", false, false));
    }

    @Test
    void equalScoresMergeTheLeftmostPairFirst() {
        TestVocabulary v = letters().addSpacePrefix(false).normal("aa", 1);
        assertArrayEquals(ids(v, "aa", "a"), v.tokenizer().encode("aaa", false, false));
        assertArrayEquals(ids(v, "aa", "aa"), v.tokenizer().encode("aaaa", false, false));
    }

    @Test
    void mergedSymbolsKeepMerging() {
        TestVocabulary v = letters().addSpacePrefix(false).normal("ab", 3).normal("abc", 1).normal("bc", 2);
        // ab (3) first, then ab+c (1); bc never gets the chance
        assertArrayEquals(ids(v, "abc"), v.tokenizer().encode("abc", false, false));
    }

    @Test
    void aMergeOnlyHappensWhenTheConcatenationIsAToken() {
        // "abc" is a token but neither "ab" nor "bc" is: SentencePiece BPE cannot reach it
        TestVocabulary v = letters().addSpacePrefix(false).normal("abc", 5);
        assertArrayEquals(ids(v, "a", "b", "c"), v.tokenizer().encode("abc", false, false));
    }

    @Test
    void spacesBecomeTheSpaceMarkAndTheTextGetsADummyPrefix() {
        TestVocabulary v = letters().normal("\u2581a", 1).normal("\u2581b", 1);
        assertArrayEquals(ids(v, "\u2581a", "\u2581b"), v.tokenizer().encode("a b", false, false));
    }

    @Test
    void withoutSpacePrefixTheTextStartsAsIs() {
        TestVocabulary v = letters().addSpacePrefix(false).normal("\u2581a", 1);
        assertArrayEquals(ids(v, "a", "\u2581a"), v.tokenizer().encode("a a", false, false));
    }

    @Test
    void charactersNoTokenCoversFallBackToTheirUtf8Bytes() {
        TestVocabulary v = letters().addSpacePrefix(false);
        assertArrayEquals(ids(v, "a", "<0xC3>", "<0xA9>", "<0xF0>", "<0x9F>", "<0x98>", "<0x80>"),
                v.tokenizer().encode("a\u00e9\uD83D\uDE00", false, false));
    }

    @Test
    void withoutByteTokensAnUncoveredCharacterBecomesTheUnknownToken() {
        TestVocabulary v = new TestVocabulary().normal("a", -1).addSpacePrefix(false);
        assertArrayEquals(new int[] {v.id("a"), TestVocabulary.UNK, v.id("a")}, v.tokenizer().encode("a\u00e9a", false, false));
    }

    @Test
    void withoutByteTokensAsciiFallsBackToTheOneCharacterToken() {
        // llama.cpp's second choice for a byte: the byte as a one-character token ("\n" in Baichuan)
        TestVocabulary v = new TestVocabulary().normal("\n", 0).normal("a", 0).addSpacePrefix(false);
        assertArrayEquals(new int[] {v.id("a"), v.id("\n")}, v.tokenizer().encode("a\n", false, false));
    }

    @Test
    void userDefinedTokensAreMatchedEvenWithoutParseSpecial() {
        TestVocabulary v = letters().addSpacePrefix(false).add("<b>", 0, Vocabulary.USER_DEFINED);
        int[] expected = ids(v, "a", "<b>", "c");
        assertArrayEquals(expected, v.tokenizer().encode("a<b>c", false, false));
        assertArrayEquals(expected, v.tokenizer().encode("a<b>c", false, true));
    }

    @Test
    void controlTokensAreMatchedOnlyWithParseSpecial() {
        TestVocabulary v = letters().addSpacePrefix(false).normal("<", -1).normal("s", -1).normal("/", -1).normal(">", -1);
        Tokenizer t = v.tokenizer();
        assertArrayEquals(ids(v, "a", "</s>"), t.encode("a</s>", false, true));
        assertArrayEquals(ids(v, "a", "<", "/", "s", ">"), t.encode("a</s>", false, false));
        assertArrayEquals(ids(v, "<unk>"), t.encode("<unk>", false, true));
    }

    @Test
    void longerSpecialTokensAreTriedFirstOverTheWholeText() {
        // llama.cpp tries "bcd" before "ab" everywhere, so "abcd" splits as a + bcd, not ab + cd
        TestVocabulary v = letters().addSpacePrefix(false).normal("d", -1)
                .add("ab", 0, Vocabulary.USER_DEFINED).add("bcd", 0, Vocabulary.USER_DEFINED);
        assertArrayEquals(ids(v, "a", "bcd"), v.tokenizer().encode("abcd", false, false));
        assertArrayEquals(ids(v, "ab", "a", "bcd", "ab"), v.tokenizer().encode("ababcdab", false, false));
    }

    @Test
    void aSpecialTokenTakesNonOverlappingOccurrencesFromTheLeft() {
        TestVocabulary v = letters().addSpacePrefix(false).add("aa", 0, Vocabulary.USER_DEFINED);
        assertArrayEquals(ids(v, "aa", "aa", "a"), v.tokenizer().encode("aaaaa", false, false));
    }

    @Test
    void textAfterASpecialTokenGetsTheDummyPrefixAgain() {
        TestVocabulary v = letters().normal("\u2581a", 1);
        Tokenizer t = v.tokenizer();
        assertArrayEquals(ids(v, "\u2581a", "</s>", "\u2581a"), t.encode("a</s>a", false, true));
        // not after ordinary text, and not when the text is only special tokens
        assertArrayEquals(ids(v, "<s>", "</s>"), t.encode("<s></s>", false, true));
    }

    @Test
    void addBosAddsWhatTheVocabularyAsksFor() {
        TestVocabulary v = letters().addSpacePrefix(false);
        assertArrayEquals(new int[] {TestVocabulary.BOS, v.id("a")}, v.tokenizer().encode("a", true, false));
        assertArrayEquals(new int[] {v.id("a")}, v.tokenizer().encode("a", false, false));
        assertArrayEquals(new int[] {TestVocabulary.BOS}, v.tokenizer().encode("", true, false));

        TestVocabulary both = letters().addSpacePrefix(false).addEos(true);
        assertArrayEquals(new int[] {TestVocabulary.BOS, both.id("a"), TestVocabulary.EOS}, both.tokenizer().encode("a", true, false));

        TestVocabulary none = letters().addSpacePrefix(false).addBos(false);
        assertArrayEquals(new int[] {none.id("a")}, none.tokenizer().encode("a", true, false));
    }

    @Test
    void emptyTextHasNoTokens() {
        assertArrayEquals(new int[0], letters().tokenizer().encode("", false, true));
    }

    @Test
    void decodingRendersPiecesAsLlamaCppDoes() {
        TestVocabulary v = letters().normal("\u2581ab", 1).add("<b>", 0, Vocabulary.USER_DEFINED)
                .add("<unused0>", 0, Vocabulary.UNUSED);
        Tokenizer t = v.tokenizer();
        int[] ids = {TestVocabulary.BOS, v.id("\u2581ab"), v.id("<0x21>"), v.id("<b>"), v.id("<unused0>"),
                TestVocabulary.UNK, TestVocabulary.EOS};
        assertEquals(" ab!<b>", t.decode(ids));
        assertArrayEquals(new byte[0], t.pieceBytes(TestVocabulary.EOS));
        assertArrayEquals(new byte[] {(byte) 0xC3}, t.pieceBytes(v.id("<0xC3>")));
        assertArrayEquals(" ab".getBytes(StandardCharsets.UTF_8), t.pieceBytes(v.id("\u2581ab")));
    }

    @Test
    void decodingReplacesInvalidUtf8() {
        TestVocabulary v = letters();
        Tokenizer t = v.tokenizer();
        assertEquals("a\uFFFDb", t.decode(ids(v, "a", "<0xC3>", "b")));
        assertEquals("\uFFFD\uFFFD", t.decode(ids(v, "<0xFF>", "<0x80>")));
        assertEquals("\uFFFD", t.decode(ids(v, "<0xF0>", "<0x9F>", "<0x98>")));
    }

    @Test
    void decodingAnIdOutsideTheVocabularyFails() {
        Tokenizer t = letters().tokenizer();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {100000}));
        assertTrue(e.getMessage().contains("100000"), e.getMessage());
    }

    @Test
    void endOfGenerationIsEosOrEot() {
        TestVocabulary v = letters().add("<end_of_turn>", 0, Vocabulary.CONTROL);
        Tokenizer t = v.eotId(v.id("<end_of_turn>")).tokenizer();
        assertTrue(t.isEndOfGeneration(TestVocabulary.EOS));
        assertTrue(t.isEndOfGeneration(v.id("<end_of_turn>")));
        assertFalse(t.isEndOfGeneration(TestVocabulary.BOS));
        assertFalse(t.isEndOfGeneration(-1));
    }

    @Test
    void anUnpairedSurrogateIsEncodedAsTheReplacementCharacter() {
        TestVocabulary v = letters().addSpacePrefix(false);
        assertArrayEquals(ids(v, "a", "<0xEF>", "<0xBF>", "<0xBD>"), v.tokenizer().encode("a\uD800", false, false));
    }

    @Test
    void longInputsEncodeQuickly() {
        TestVocabulary v = letters().normal("\u2581a", 1).normal("aa", 2).normal("ab", 1.5f).normal("aaaa", 3);
        Tokenizer t = v.tokenizer();
        String text = "aaab ".repeat(200_000); // a million characters
        long start = System.nanoTime();
        int[] ids = t.encode(text, false, false);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ids.length > 0);
        assertTrue(millis < 5_000, "a million characters took " + millis + " ms");
        assertEquals(" " + text, t.decode(ids));
    }

    @Test
    void twoTokensWithTheSameTextAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> letters().normal("a", 0).tokenizer());
        assertTrue(e.getMessage().contains("same text"), e.getMessage());
    }
}
