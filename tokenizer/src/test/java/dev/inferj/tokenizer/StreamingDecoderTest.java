package dev.inferj.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StreamingDecoderTest {
    private final TestVocabulary vocabulary = new TestVocabulary().bytes().normal("\u2581Hi", 0).normal("!", 0);
    private final Tokenizer tokenizer = vocabulary.tokenizer();

    private int id(String text) {
        return vocabulary.id(text);
    }

    @Test
    void anEmojiSplitInFourByteTokensComesOutWhole() {
        StreamingDecoder d = tokenizer.newStreamingDecoder();
        assertEquals(" Hi", d.accept(id("\u2581Hi")));
        assertEquals("", d.accept(id("<0xF0>")));
        assertEquals("", d.accept(id("<0x9F>")));
        assertEquals("", d.accept(id("<0x98>")));
        assertTrue(d.hasPending());
        assertEquals("\uD83D\uDE00", d.accept(id("<0x80>")));
        assertFalse(d.hasPending());
        assertEquals("!", d.accept(id("!")));
        assertEquals("", d.flush());
    }

    @Test
    void aTwoByteCharacterComesOutWithItsSecondByteAndAnInterruptedOneAsReplacement() {
        StreamingDecoder d = tokenizer.newStreamingDecoder();
        assertEquals("", d.accept(id("<0xC3>")));
        assertEquals("\u00e9", d.accept(id("<0xA9>")));
        assertEquals("", d.accept(id("<0xC3>")));
        assertEquals("\uFFFD Hi", d.accept(id("\u2581Hi")));
    }

    @Test
    void aSequenceThatCannotBeCompletedBecomesOneReplacementCharacter() {
        StreamingDecoder d = tokenizer.newStreamingDecoder();
        assertEquals("", d.accept(id("<0xE6>")));
        assertEquals("", d.accept(id("<0xBC>")));
        assertEquals("\uFFFD!", d.accept(id("!")));
    }

    @Test
    void invalidBytesBecomeReplacementCharactersAtOnce() {
        StreamingDecoder d = tokenizer.newStreamingDecoder();
        assertEquals("\uFFFD", d.accept(id("<0x80>")));
        assertEquals("\uFFFD", d.accept(id("<0xFF>")));
    }

    @Test
    void flushEndsAnIncompleteCharacterAndStartsAfresh() {
        StreamingDecoder d = tokenizer.newStreamingDecoder();
        assertEquals("", d.accept(id("<0xF0>")));
        assertEquals("", d.accept(id("<0x9F>")));
        assertEquals("\uFFFD", d.flush());
        assertFalse(d.hasPending());
        assertEquals("!", d.accept(id("!")));
    }

    @Test
    void controlTokensAddNothing() {
        StreamingDecoder d = tokenizer.newStreamingDecoder();
        assertEquals("", d.accept(TestVocabulary.BOS));
        assertEquals("", d.accept(TestVocabulary.EOS));
    }
}
