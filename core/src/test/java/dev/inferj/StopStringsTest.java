package dev.inferj;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/** Stop strings cut the text exactly, wherever the pieces split it. */
class StopStringsTest {

    @Test
    void aStopSpanningTwoPiecesIsCutAndNothingOfItIsReleased() {
        StopStrings s = new StopStrings(List.of("END"));
        assertEquals("Hello ", s.accept("Hello E"));
        assertFalse(s.stopped());
        assertEquals("", s.accept("N"));
        assertEquals("", s.accept("D and more"));
        assertTrue(s.stopped());
    }

    @Test
    void aStopInsideOnePieceKeepsWhatComesBefore() {
        StopStrings s = new StopStrings(List.of("\n\n"));
        assertEquals("one", s.accept("one\n\ntwo"));
        assertTrue(s.stopped());
    }

    @Test
    void heldBackTextIsReleasedWhenItTurnsOutNotToStop() {
        StopStrings s = new StopStrings(List.of("ENDING", "xy"));
        assertEquals("a", s.accept("aEND"));
        assertEquals("END", s.accept("x")); // "x" may still begin "xy"
        assertEquals("", s.accept(""));
        assertEquals("x", s.flush());
        assertFalse(s.stopped());
    }

    @Test
    void theEarliestOfSeveralStopsWins() {
        StopStrings s = new StopStrings(List.of("cd", "b"));
        assertEquals("a", s.accept("abcd"));
    }

    /** Any split of a text into pieces releases exactly the text before the first stop. */
    @Property(tries = 500)
    void splittingDoesNotMatter(@ForAll @StringLength(max = 40) String text, @ForAll @IntRange(min = 1, max = 5) int piece,
                                @ForAll @StringLength(min = 1, max = 3) String stop) {
        String alphabetText = threeLetters(text); // few letters: stops occur and almost occur often
        String alphabetStop = threeLetters(stop);
        StopStrings s = new StopStrings(List.of(alphabetStop));
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < alphabetText.length() && !s.stopped(); i += piece) {
            out.append(s.accept(alphabetText.substring(i, Math.min(alphabetText.length(), i + piece))));
        }
        out.append(s.flush());
        int at = alphabetText.indexOf(alphabetStop);
        assertEquals(at >= 0 ? alphabetText.substring(0, at) : alphabetText, out.toString());
        assertEquals(at >= 0, s.stopped());
    }

    private static String threeLetters(String s) {
        StringBuilder b = new StringBuilder();
        s.chars().forEach(c -> b.append((char) ('a' + c % 3)));
        return b.toString();
    }
}
