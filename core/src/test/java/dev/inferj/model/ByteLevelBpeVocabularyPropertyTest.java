package dev.inferj.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.inferj.tokenizer.Tokenizer;
import dev.inferj.tokenizer.Vocabulary;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * On every byte-level vocabulary in shared/tokenizer: decoding gives back, byte for byte, any text
 * that was encoded without parsing special tokens, and encoding is deterministic.
 *
 * <p>Two normalizations: UTF-8's (an unpaired surrogate comes back as U+FFFD), and llama.cpp's
 * for bytes a vocabulary has no token for, which encoding drops (Falcon lacks 28 byte values,
 * among them U+0003 and the lead byte F2; StarCoder and Refact lack F1, the lead byte of
 * U+40000..U+7FFFF; GPT-NeoX and MPT only bytes UTF-8 never uses). Text without such bytes comes
 * back exactly.
 */
class ByteLevelBpeVocabularyPropertyTest {

    @Property(tries = 1000)
    void decodeUndoesEncode(@ForAll("vocabularies") Path vocabulary, @ForAll("text") String s) {
        Tokenizer t = TokenizerGoldenCases.tokenizer(vocabulary);
        String text = withoutLoneSurrogates(s);
        boolean[] covered = coveredBytes(t);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            if (covered[b & 0xFF]) {
                expected.write(b);
            }
        }
        int[] ids = t.encode(s, false, false);
        ByteArrayOutputStream actual = new ByteArrayOutputStream();
        for (int id : ids) {
            actual.writeBytes(t.pieceBytes(id));
        }
        assertArrayEquals(expected.toByteArray(), actual.toByteArray());
        if (expected.size() == text.getBytes(StandardCharsets.UTF_8).length) {
            assertEquals(text, t.decode(ids));
        }
    }

    /** The bytes the vocabulary has a token for: those that are the whole piece of a normal token. */
    private static boolean[] coveredBytes(Tokenizer t) {
        boolean[] covered = new boolean[256];
        for (int id = 0; id < t.vocabularySize(); id++) {
            byte[] piece = t.pieceBytes(id);
            if (piece.length == 1 && t.vocabulary().tokenType(id) == Vocabulary.NORMAL) {
                covered[piece[0] & 0xFF] = true;
            }
        }
        return covered;
    }

    @Property(tries = 300)
    void encodingIsDeterministic(@ForAll("vocabularies") Path vocabulary, @ForAll("text") String s) {
        Tokenizer t = TokenizerGoldenCases.tokenizer(vocabulary);
        assertArrayEquals(t.encode(s, true, true), t.encode(s, true, true));
    }

    @Provide
    Arbitrary<Path> vocabularies() throws IOException {
        return Arbitraries.of(TokenizerGoldenCases.vocabularies("gpt2"));
    }

    /** Any chars, any code points, or pieces that real vocabularies treat specially (special-token texts, runs of spaces, digits). */
    @Provide
    Arbitrary<String> text() {
        Arbitrary<String> anyChars = Arbitraries.strings().all().ofMaxLength(40);
        Arbitrary<String> codePoints = Arbitraries.integers().between(0, Character.MAX_CODE_POINT)
                .filter(c -> c < Character.MIN_SURROGATE || c > Character.MAX_SURROGATE)
                .list().ofMaxSize(30)
                .map(cps -> cps.stream().collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString());
        Arbitrary<String> pieces = Arbitraries.of("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|begin_of_text|>",
                        "<|eot_id|>", "<s>", "</s>", "<fim_prefix>", "<\uFF5Cend\u2581of\u2581sentence\uFF5C>", ">>TITLE<<",
                        "\u0120", "  ", "\n\n", "\t", "'s", "'LL", "12345", "\u00e9", "e\u0301", "\u4e16\u754c", "\uD83D\uDE00",
                        "\u00a0", "\u3000", "Hello", " world", ".", "\u2581")
                .list().ofMaxSize(10).map(parts -> String.join("", parts));
        return Arbitraries.oneOf(anyChars, codePoints, pieces);
    }

    private static String withoutLoneSurrogates(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                sb.append(c).append(s.charAt(++i));
            } else {
                sb.append(Character.isSurrogate(c) ? '\uFFFD' : c);
            }
        }
        return sb.toString();
    }
}
