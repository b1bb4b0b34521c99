package dev.inferj.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The words each pre-tokenizer cuts text into, as llama.cpp cuts them (worked out from its splitters and expressions). */
class PreTokenizerTest {

    static List<String> words(String pre, String text) {
        SplitRule.Codepoints codepoints = new SplitRule.Codepoints();
        codepoints.load(text, 0, text.length());
        IntList ends = PreTokenizer.forName(pre).split(codepoints, new IntList(4), new IntList(4));
        List<String> words = new ArrayList<>();
        int cp = 0;
        int at = 0;
        for (int i = 0; i < ends.size(); i++) {
            int start = at;
            for (; cp < ends.get(i); cp++) {
                at += Character.charCount(codepoints.cps[cp]);
            }
            words.add(text.substring(start, at));
        }
        return words;
    }

    @Test
    void gpt2KeepsTheLastSpaceOfARunForTheNextWord() {
        assertEquals(List.of("I", "'m", " ", " here", "\n"), words("gpt-2", "I'm  here\n"));
        assertEquals(List.of("Hello", " world", " 123", "abc"), words("gpt-2", "Hello world 123abc"));
    }

    @Test
    void gpt2ContractionsAreLowerCaseOnlyLlama3sAnyCase() {
        assertEquals(List.of("I", "'", "M"), words("gpt-2", "I'M"));
        assertEquals(List.of("I", "'M"), words("llama-bpe", "I'M"));
    }

    @Test
    void llama3TakesDigitsThreeAtATimeQwen2OneAtATime() {
        assertEquals(List.of("123", "456", "7"), words("llama-bpe", "1234567"));
        assertEquals(List.of("1", "2", "3", "4"), words("qwen2", "1234"));
    }

    @Test
    void llama3KeepsLineBreaksTogetherAndAfterPunctuation() {
        assertEquals(List.of("Hello", "\n\n", "world"), words("llama-bpe", "Hello\n\nworld"));
        assertEquals(List.of("!!!\n\n", "abc"), words("llama-bpe", "!!!\n\nabc"));
        assertEquals(List.of(" ", " x"), words("llama-bpe", "  x"));
    }

    @Test
    void qwen35CountsCombiningMarksAsLetters() {
        assertEquals(List.of("e", "\u0301x"), words("qwen2", "e\u0301x"));
        assertEquals(List.of("e\u0301x"), words("qwen35", "e\u0301x"));
    }

    @Test
    void defaultSplitsPunctuationFirstThenWordsThenDigits() {
        assertEquals(List.of("Hello", ",", " world", "!", " ", "123", "45"), words("default", "Hello, world! 12345"));
        assertEquals(List.of("x", "+=", "100", "0"), words("falcon", "x+=1000"));
    }

    @Test
    void starcoderTakesDigitsOneAtATime() {
        assertEquals(List.of("x", "=", "1", "2"), words("starcoder", "x=12"));
    }

    @Test
    void deepseekCoderSplitsLettersPunctuationAndEachDigit() {
        // '=' is a symbol, not punctuation: it stays with the spaces around it
        assertEquals(List.of("x", " = ", "1", "2", "3", "4"), words("deepseek-coder", "x = 1234"));
    }

    @Test
    void deepseekLlmSplitsLineBreaksCjkAndTrailingSpace() {
        assertEquals(List.of("Hello", " ", "世界", "\n"), words("deepseek-llm", "Hello 世界\n"));
        assertEquals(List.of("a", ",", " b", " ", " c", "  "), words("deepseek-llm", "a, b  c  "));
    }

    @Test
    void nonAsciiWhiteSpaceMatchesOnlyAsWhiteSpaceInSpelledOutClasses() {
        // U+3000 lies in both of DeepSeek's spelled-out ranges, but llama.cpp hands it to std::wregex as U+000B
        assertEquals(List.of("\u3002", "\u3000", "\u3002"), words("deepseek-llm", "\u3002\u3000\u3002"));
    }

    @Test
    void codePointsNewerThanLlamaCppsTablesAreNoLetters() {
        // U+1C89 (Unicode 16.0) is a letter to the JDK, unassigned to llama.cpp
        assertEquals(CodepointFlags.UNDEFINED, CodepointFlags.of(0x1C89));
        assertEquals(List.of("a", "\u1C89b"), words("llama-bpe", "a\u1C89b"));
    }

    @Test
    void whiteSpaceIsUnicodesWhiteSpaceProperty() {
        assertTrue((CodepointFlags.of(0xA0) & CodepointFlags.WHITESPACE) != 0);
        assertTrue((CodepointFlags.of(0x85) & CodepointFlags.WHITESPACE) != 0);
        assertFalse((CodepointFlags.of(0x1C) & CodepointFlags.WHITESPACE) != 0);
        assertEquals(List.of("a", "\u00A0", "\u00A0", "b"), words("gpt-2", "a\u00A0\u00A0b"));
    }

    @Test
    void wordsCoverTheTextExactly() {
        String text = "Ünïcödé 😀 text\r\n\twith 12,345.67 numbers—and ‘quotes’  \n  ";
        for (String pre : List.of("default", "llama-bpe", "dbrx", "qwen2", "qwen35", "gpt-2", "falcon", "starcoder",
                "deepseek-llm", "deepseek-coder")) {
            List<String> words = words(pre, text);
            assertEquals(text, String.join("", words), pre);
            assertFalse(words.contains(""), pre);
        }
    }

    @Test
    void namesNoPreTokenizerMeansDefaultAndAnUnknownNameIsRefused() {
        assertSame(PreTokenizer.DEFAULT, PreTokenizer.forName(null));
        assertSame(PreTokenizer.DEFAULT, PreTokenizer.forName(""));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PreTokenizer.forName("no-such"));
        assertTrue(e.getMessage().contains("no-such") && e.getMessage().contains("llama-bpe"), e.getMessage());
    }

    @Test
    void longRunsSplitInLinearTime() {
        String spaces = " ".repeat(300_000) + "x";
        String letters = "a".repeat(300_000);
        String mixed = "ab  ".repeat(100_000);
        long start = System.nanoTime();
        for (PreTokenizer p : PreTokenizer.values()) {
            for (String text : List.of(spaces, letters, mixed)) {
                SplitRule.Codepoints codepoints = new SplitRule.Codepoints();
                codepoints.load(text, 0, text.length());
                p.split(codepoints, new IntList(4), new IntList(4));
            }
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 5_000, "splitting took " + millis + " ms");
    }
}
