package dev.inferj.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class TokenizerPropertyTest {

    /** All 256 byte tokens, and a few merges so that both merging and byte fallback happen. */
    private static final TestVocabulary WITH_BYTES = new TestVocabulary().bytes()
            .normal("\u2581", -1).normal("a", -2).normal("b", -2).normal("\u00e9", -3)
            .normal("\u2581a", -1.5f).normal("ab", -1.25f).normal("\u2581ab", -1).normal("ba", -1.25f)
            .normal("\u6f22", -4).normal("\u6f22\u5b57", -3).normal("\uD83D\uDE00", -4);
    private static final Tokenizer TOKENIZER = WITH_BYTES.tokenizer();

    /**
     * decode(encode(s)) gives back s, normalized as encoding normalizes it: the dummy-prefix space
     * in front (when s is not empty), each U+2581 read back as the space it stands for, and each
     * unpaired surrogate, which UTF-8 cannot hold, as U+FFFD.
     */
    @Property(tries = 2000)
    void decodeUndoesEncode(@ForAll("text") String s) {
        String expected = s.isEmpty() ? "" : " " + Utf8.withoutLoneSurrogates(s).replace('\u2581', ' ');
        assertEquals(expected, TOKENIZER.decode(TOKENIZER.encode(s, false, false)));
    }

    @Property(tries = 500)
    void encodingIsDeterministic(@ForAll("text") String s) {
        int[] first = TOKENIZER.encode(s, true, true);
        assertArrayEquals(first, TOKENIZER.encode(s, true, true));
        assertArrayEquals(first, WITH_BYTES.tokenizer().encode(s, true, true));
    }

    /** The streamed text, put together, is the decoded text, whatever bytes the tokens carry. */
    @Property(tries = 1000)
    void streamingGivesWhatDecodingGives(@ForAll("ids") List<Integer> ids) {
        int[] a = ids.stream().mapToInt(Integer::intValue).toArray();
        StreamingDecoder d = TOKENIZER.newStreamingDecoder();
        StringBuilder sb = new StringBuilder();
        for (int id : a) {
            String piece = d.accept(id);
            if (!piece.isEmpty()) {
                // a piece never ends inside a character
                assertEquals(false, Character.isHighSurrogate(piece.charAt(piece.length() - 1)));
            }
            sb.append(piece);
        }
        sb.append(d.flush());
        assertEquals(TOKENIZER.decode(a), sb.toString());
    }

    /**
     * The priority-queue merge gives what the definition gives: repeatedly merge, among all adjacent
     * pairs that form a token, the one with the highest score, the leftmost on a tie. Random
     * vocabularies over a three-letter alphabet, with many equal scores.
     */
    @Property(tries = 500)
    void mergingMatchesTheDefinition(@ForAll("mergeVocabulary") List<String> pieces,
                                     @ForAll("scores") List<Integer> scores,
                                     @ForAll("abc") String text) {
        TestVocabulary v = new TestVocabulary().bytes().addSpacePrefix(false)
                .normal("a", -10).normal("b", -10).normal("c", -10);
        List<String> added = new ArrayList<>(List.of("a", "b", "c"));
        for (int i = 0; i < pieces.size(); i++) {
            if (!added.contains(pieces.get(i))) {
                added.add(pieces.get(i));
                v.normal(pieces.get(i), scores.get(i % scores.size()));
            }
        }
        Vocabulary vocabulary = v.build();
        assertArrayEquals(naive(vocabulary, text), Tokenizer.of(vocabulary).encode(text, false, false));
    }

    /** The quadratic textbook algorithm, for texts of single-char code points, no special tokens, no prefix. */
    private static int[] naive(Vocabulary v, String text) {
        List<String> symbols = new ArrayList<>();
        for (char c : text.toCharArray()) {
            symbols.add(String.valueOf(c));
        }
        List<String> tokens = List.of(v.tokens());
        while (true) {
            int best = -1;
            float bestScore = 0;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                int id = tokens.indexOf(symbols.get(i) + symbols.get(i + 1));
                if (id >= 0 && (best < 0 || v.scores()[id] > bestScore)) {
                    best = i;
                    bestScore = v.scores()[id];
                }
            }
            if (best < 0) {
                break;
            }
            symbols.set(best, symbols.get(best) + symbols.remove(best + 1));
        }
        return symbols.stream().mapToInt(tokens::indexOf).toArray();
    }

    @Provide
    Arbitrary<String> text() {
        Arbitrary<String> nearVocabulary = Arbitraries.strings().withChars("ab \u00e9\u6f22\u5b57\u2581<>/s\n")
                .withCharRange('\uD83D', '\uD83D').withCharRange('\uDE00', '\uDE00').ofMaxLength(40);
        return Arbitraries.oneOf(anyText(), nearVocabulary);
    }

    /** Any chars (unpaired surrogates included), or any code points, up to 40. */
    static Arbitrary<String> anyText() {
        Arbitrary<String> anyChars = Arbitraries.strings().all().ofMaxLength(40);
        Arbitrary<String> codePoints = Arbitraries.integers().between(0, Character.MAX_CODE_POINT)
                .filter(c -> c < Character.MIN_SURROGATE || c > Character.MAX_SURROGATE)
                .list().ofMaxSize(30)
                .map(cps -> cps.stream().collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString());
        return Arbitraries.oneOf(anyChars, codePoints);
    }

    @Provide
    Arbitrary<List<Integer>> ids() {
        return Arbitraries.integers().between(0, WITH_BYTES.build().size() - 1).list().ofMaxSize(40);
    }

    @Provide
    Arbitrary<List<String>> mergeVocabulary() {
        return Arbitraries.strings().withChars("abc").ofMinLength(2).ofMaxLength(4).list().ofMaxSize(25);
    }

    @Provide
    Arbitrary<List<Integer>> scores() {
        return Arbitraries.integers().between(-3, 3).list().ofMinSize(1).ofMaxSize(25);
    }

    @Provide
    Arbitrary<String> abc() {
        return Arbitraries.strings().withChars("abc").ofMaxLength(30);
    }
}
