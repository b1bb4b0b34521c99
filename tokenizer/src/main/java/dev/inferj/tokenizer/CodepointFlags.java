package dev.inferj.tokenizer;

/**
 * The Unicode facts the byte-level pre-tokenizers ask about a code point, as llama.cpp's own
 * tables give them: one general category class ({@code \p{L}}, {@code \p{N}}, ...) and whether it
 * is white space.
 *
 * <p>llama.cpp's tables are generated from Unicode 15.1, the JDK 25 from Unicode 16.0. The
 * categories agree on every code point both versions assign; the 5185 code points Unicode 16.0
 * added are unassigned for llama.cpp, so they are classified {@link #UNDEFINED} here too
 * ({@link #UNICODE_16_ADDITIONS}). A later JDK may know still newer code points; they would be
 * classified by the JDK.
 *
 * <p>White space is Unicode's White_Space property (which llama.cpp uses for {@code \s}): it
 * includes U+0085, U+00A0 and U+202F, and excludes U+001C..U+001F, unlike
 * {@link Character#isWhitespace}.
 */
final class CodepointFlags {
    static final int UNDEFINED = 1;
    static final int NUMBER = 1 << 1;
    static final int LETTER = 1 << 2;
    static final int SEPARATOR = 1 << 3;
    static final int MARK = 1 << 4;
    static final int PUNCTUATION = 1 << 5;
    static final int SYMBOL = 1 << 6;
    static final int CONTROL = 1 << 7;
    static final int WHITESPACE = 1 << 8;

    /** Inclusive ranges of the code points Unicode 16.0 assigned, which llama.cpp's Unicode 15.1 tables do not know. */
    private static final int[] UNICODE_16_ADDITIONS = {
        0x0897, 0x0897, 0x1B4E, 0x1B4F, 0x1B7F, 0x1B7F, 0x1C89, 0x1C8A, 0x2427, 0x2429, 0x31E4, 0x31E5,
        0xA7CB, 0xA7CD, 0xA7DA, 0xA7DC, 0x105C0, 0x105F3, 0x10D40, 0x10D65, 0x10D69, 0x10D85, 0x10D8E, 0x10D8F,
        0x10EC2, 0x10EC4, 0x10EFC, 0x10EFC, 0x11380, 0x11389, 0x1138B, 0x1138B, 0x1138E, 0x1138E, 0x11390, 0x113B5,
        0x113B7, 0x113C0, 0x113C2, 0x113C2, 0x113C5, 0x113C5, 0x113C7, 0x113CA, 0x113CC, 0x113D5, 0x113D7, 0x113D8,
        0x113E1, 0x113E2, 0x116D0, 0x116E3, 0x11BC0, 0x11BE1, 0x11BF0, 0x11BF9, 0x11F5A, 0x11F5A, 0x13460, 0x143FA,
        0x16100, 0x16139, 0x16D40, 0x16D79, 0x18CFF, 0x18CFF, 0x1CC00, 0x1CCF9, 0x1CD00, 0x1CEB3, 0x1E5D0, 0x1E5FA,
        0x1E5FF, 0x1E5FF, 0x1F8B2, 0x1F8BB, 0x1F8C0, 0x1F8C1, 0x1FA89, 0x1FA89, 0x1FA8F, 0x1FA8F, 0x1FABE, 0x1FABE,
        0x1FAC6, 0x1FAC6, 0x1FADC, 0x1FADC, 0x1FADF, 0x1FADF, 0x1FAE9, 0x1FAE9, 0x1FBCB, 0x1FBEF,
    };

    /** The flags of the Basic Multilingual Plane, worked out once (128 KiB): most text never leaves it. */
    private static final short[] BMP = new short[0x10000];

    static {
        for (int c = 0; c < BMP.length; c++) {
            BMP[c] = (short) compute(c);
        }
    }

    private CodepointFlags() {
    }

    /** The flags of {@code cp}: exactly one category bit, and {@link #WHITESPACE} where it applies. */
    static int of(int cp) {
        return cp < 0x10000 ? BMP[cp] : compute(cp);
    }

    private static int compute(int cp) {
        int category = switch (Character.getType(cp)) {
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> SEPARATOR;
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK -> MARK;
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> PUNCTUATION;
            case Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL,
                 Character.OTHER_SYMBOL -> SYMBOL;
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE -> CONTROL;
            default -> UNDEFINED;
        };
        if (category != UNDEFINED && cp >= 0x897 && isUnicode16Addition(cp)) {
            category = UNDEFINED;
        }
        return isWhitespace(cp) ? category | WHITESPACE : category;
    }

    private static boolean isUnicode16Addition(int cp) {
        for (int i = 0; i < UNICODE_16_ADDITIONS.length && UNICODE_16_ADDITIONS[i] <= cp; i += 2) {
            if (cp <= UNICODE_16_ADDITIONS[i + 1]) {
                return true;
            }
        }
        return false;
    }

    /** Unicode's White_Space property. */
    static boolean isWhitespace(int cp) {
        return cp >= 0x09 && cp <= 0x0D || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || cp >= 0x2000 && cp <= 0x200A || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }
}
