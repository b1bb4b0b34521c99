package dev.inferj.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class VocabularyTest {
    private static final String[] TOKENS = {"<unk>", "<s>", "</s>", "<0x0A>", "a"};
    private static final int[] TYPES = {2, 3, 3, 6, 1};

    private static Vocabulary vocabulary(String[] tokens, float[] scores, int[] types, int bos, int eos, int unk,
                                         boolean addBos, boolean addEos) {
        return new Vocabulary(tokens, scores, types, new String[0], TokenizerModel.LLAMA, null, bos, eos, -1, unk, -1,
                addBos, addEos, true);
    }

    private static void refused(String expectedInMessage, Runnable construction) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, construction::run);
        assertTrue(e.getMessage().contains(expectedInMessage), "\"" + e.getMessage() + "\" should say " + expectedInMessage);
    }

    @Test
    void aConsistentVocabularyIsAccepted() {
        Vocabulary v = vocabulary(TOKENS, new float[5], TYPES, 1, 2, 0, true, true);
        assertEquals(5, v.size());
        assertEquals(Vocabulary.BYTE, v.tokenType(3));
    }

    @Test
    void absentSpecialIdsAreMinusOne() {
        Vocabulary v = vocabulary(TOKENS, new float[5], TYPES, -1, -1, -1, false, false);
        assertEquals(-1, v.bosId());
    }

    @Test
    void arraysOfOtherLengthsAreRefused() {
        refused("4 scores for 5 tokens", () -> vocabulary(TOKENS, new float[4], TYPES, 1, 2, 0, true, false));
        refused("6 token types for 5 tokens", () -> vocabulary(TOKENS, new float[5], new int[6], 1, 2, 0, true, false));
        refused("no tokens", () -> vocabulary(new String[0], new float[0], new int[0], -1, -1, -1, false, false));
    }

    @Test
    void specialIdsOutsideTheVocabularyAreRefused() {
        refused("bosId 5", () -> vocabulary(TOKENS, new float[5], TYPES, 5, 2, 0, true, false));
        refused("unknownId -2", () -> vocabulary(TOKENS, new float[5], TYPES, 1, 2, -2, true, false));
    }

    @Test
    void addingATokenTheVocabularyLacksIsRefused() {
        refused("addBos", () -> vocabulary(TOKENS, new float[5], TYPES, -1, 2, 0, true, false));
        refused("addEos", () -> vocabulary(TOKENS, new float[5], TYPES, 1, -1, 0, true, true));
    }

    @Test
    void aByteTokenMustReadExactlyHexByte() {
        for (String bad : new String[] {"<0x-1>", "<0xZZ>", "<0x0A", "<0x0>", "<0x0AA>", "<0x\uFF10A>"}) {
            String[] tokens = TOKENS.clone();
            tokens[3] = bad;
            refused("token 3 has type BYTE", () -> vocabulary(tokens, new float[5], TYPES, 1, 2, 0, true, false));
        }
        assertEquals(0xAB, Vocabulary.byteValue("<0xab>"));
        assertEquals(0x0A, Vocabulary.byteValue("<0x0A>"));
    }

    @Test
    void theArraysAreCopied() {
        String[] tokens = TOKENS.clone();
        Vocabulary v = vocabulary(tokens, new float[5], TYPES, 1, 2, 0, true, false);
        tokens[4] = "b";
        assertEquals("a", v.tokens()[4]);
    }
}
