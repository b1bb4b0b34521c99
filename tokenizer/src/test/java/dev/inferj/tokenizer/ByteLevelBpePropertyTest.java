package dev.inferj.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class ByteLevelBpePropertyTest {
    private static final List<String> PRE_TOKENIZERS = List.of("default", "llama-bpe", "dbrx", "qwen2", "qwen35", "gpt-2",
            "falcon", "starcoder", "deepseek-llm", "deepseek-coder");
    private static final Map<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();

    /** Merges over letters, spaces, digits and a CJK word, a control and a user-defined token. */
    private static ByteLevelTestVocabulary vocabulary(String pre) {
        return new ByteLevelTestVocabulary().pre(pre)
                .merge("a", "b").merge(" ", "ab").merge("b", "a").merge(" ", " ").merge("1", "2").merge("\n", "\n")
                .merge("\u4e16", "\u754c").merge("e", "\u0301")
                .add("<|end|>", Vocabulary.CONTROL).add("<tool>", Vocabulary.USER_DEFINED);
    }

    private static Tokenizer tokenizer(String pre) {
        return TOKENIZERS.computeIfAbsent(pre, p -> vocabulary(p).tokenizer());
    }

    /** decode(encode(s)) gives back s exactly, but for unpaired surrogates, which UTF-8 cannot hold and become U+FFFD. */
    @Property(tries = 2000)
    void decodeUndoesEncode(@ForAll("text") String s, @ForAll("preTokenizers") String pre) {
        Tokenizer t = tokenizer(pre);
        assertEquals(Utf8.withoutLoneSurrogates(s), t.decode(t.encode(s, false, false)));
    }

    @Property(tries = 500)
    void encodingIsDeterministic(@ForAll("text") String s, @ForAll("preTokenizers") String pre) {
        int[] first = tokenizer(pre).encode(s, true, true);
        assertArrayEquals(first, tokenizer(pre).encode(s, true, true));
        assertArrayEquals(first, vocabulary(pre).tokenizer().encode(s, true, true));
    }

    /**
     * The queue-driven merge gives what the definition gives: repeatedly merge the adjacent pair that
     * comes first in the merge list (a pair listed twice counts where it is listed first), the
     * leftmost on a tie, until no pair is listed. Random merges over a three-letter alphabet,
     * which the GPT-2 pre-tokenizer leaves as one word.
     */
    @Property(tries = 500)
    void mergingMatchesTheDefinition(@ForAll("merges") List<List<String>> merges, @ForAll("abc") String text) {
        ByteLevelTestVocabulary v = new ByteLevelTestVocabulary();
        for (List<String> m : merges) {
            v.merge(m.get(0), m.get(1));
        }
        List<String> symbols = new ArrayList<>();
        for (char c : text.toCharArray()) {
            symbols.add(String.valueOf(c));
        }
        while (true) {
            int best = -1;
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                int rank = merges.indexOf(List.of(symbols.get(i), symbols.get(i + 1)));
                if (rank >= 0 && rank < bestRank) {
                    best = i;
                    bestRank = rank;
                }
            }
            if (best < 0) {
                break;
            }
            symbols.set(best, symbols.get(best) + symbols.remove(best + 1));
        }
        int[] expected = symbols.stream().mapToInt(v::id).toArray();
        assertArrayEquals(expected, v.tokenizer().encode(text, false, false));
    }

    @Provide
    Arbitrary<String> text() {
        Arbitrary<String> nearVocabulary = Arbitraries.strings()
                .withChars("ab 12\n\t'e\u0301\u4e16\u754c\u00a0\u3000.,!<>|/toledn")
                .withCharRange('\uD83D', '\uD83D').withCharRange('\uDE00', '\uDE00').ofMaxLength(40);
        Arbitrary<String> specials = Arbitraries.of("<|end|>", "<tool>", "ab", " ", "\n", "12", "\u4e16\u754c")
                .list().ofMaxSize(8).map(parts -> String.join("", parts));
        return Arbitraries.oneOf(TokenizerPropertyTest.anyText(), nearVocabulary, specials);
    }

    @Provide
    Arbitrary<String> preTokenizers() {
        return Arbitraries.of(PRE_TOKENIZERS);
    }

    @Provide
    Arbitrary<List<List<String>>> merges() {
        Arbitrary<String> part = Arbitraries.strings().withChars("abc").ofMinLength(1).ofMaxLength(3);
        return Combinators.combine(part, part).as(List::of).list().ofMaxSize(25);
    }

    @Provide
    Arbitrary<String> abc() {
        return Arbitraries.strings().withChars("abc").ofMaxLength(30);
    }
}
