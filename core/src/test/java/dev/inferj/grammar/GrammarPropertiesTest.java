package dev.inferj.grammar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.regex.Pattern;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** The grammar engine against independent definitions: integer ranges, regular expressions, repetition counts. */
class GrammarPropertiesTest {

    private static boolean accepts(Grammar g, String text) {
        return g.start().advance(text.codePoints().toArray()).complete();
    }

    @Property(tries = 300)
    void integerRangesAcceptExactlyTheirIntegers(@ForAll @LongRange(min = -100_000, max = 100_000) long a,
                                                 @ForAll @LongRange(min = -100_000, max = 100_000) long b,
                                                 @ForAll long seed) {
        long low = Math.min(a, b);
        long high = Math.max(a, b);
        Grammar g = GbnfParser.parse("root ::= " + IntegerRanges.toGbnf(low, high));
        Random r = new Random(seed);
        for (int i = 0; i < 40; i++) {
            long x = low - 50 + (long) (r.nextDouble() * (high - low + 101));
            assertEquals(x >= low && x <= high, accepts(g, Long.toString(x)), x + " in [" + low + ", " + high + "]");
        }
        assertTrue(accepts(g, Long.toString(low)));
        assertTrue(accepts(g, Long.toString(high)));
        assertFalse(accepts(g, "0" + Math.abs(high)), "no leading zeros");
        assertFalse(accepts(g, "-0"));
    }

    private static final String[] PATTERNS = {"^[a-c]{2,3}$", "^(ab|c)+$", "b.c", "^a?b*$", "^[^ab]x\\d$", "^(?:a|bc){1,2}c?$",
        "^\\w\\s[b-]$"};

    @Property(tries = 400)
    void patternsMatchWhatJavaRegexMatches(@ForAll @IntRange(min = 0, max = 6) int which, @ForAll long seed) {
        String pattern = PATTERNS[which];
        Grammar g = GbnfParser.parse("root ::= " + RegexGrammar.toGbnf(pattern, "test"));
        Pattern java = Pattern.compile(pattern);
        Random r = new Random(seed);
        String alphabet = "abcx1 -_";
        for (int i = 0; i < 30; i++) {
            StringBuilder s = new StringBuilder();
            int n = r.nextInt(6);
            for (int k = 0; k < n; k++) {
                s.append(alphabet.charAt(r.nextInt(alphabet.length())));
            }
            assertEquals(java.matcher(s).find(), accepts(g, s.toString()), "\"" + s + "\" against " + pattern);
        }
    }

    @Property(tries = 100)
    void repetitionsCountExactly(@ForAll @IntRange(min = 0, max = 5) int min, @ForAll @IntRange(min = 0, max = 5) int extra,
                                 @ForAll boolean unbounded) {
        int max = min + extra;
        Grammar g = GbnfParser.parse("root ::= (\"a\" | \"b\"){" + min + (unbounded ? ",}" : "," + max + "}") + " \"!\"");
        for (int n = 0; n <= max + 3; n++) {
            boolean expected = n >= min && (unbounded || n <= max);
            assertEquals(expected, accepts(g, "ab".repeat(n).substring(0, n) + "!"), n + " repetitions");
        }
    }

    @Test
    void minRemainingCountsTheShortestCompletion() {
        Grammar g = GbnfParser.parse("root ::= \"{\" body \"}\"\nbody ::= [a-z]{2,5} | \"xyz\" tail\ntail ::= \"!\"*");
        GrammarState s = g.start();
        assertEquals(4, s.minRemaining());
        s = s.advance('{');
        assertEquals(3, s.minRemaining());
        s = s.advance("xyz".codePoints().toArray());
        assertEquals(1, s.minRemaining());
        assertTrue(s.advance('}').finished());
    }
}
