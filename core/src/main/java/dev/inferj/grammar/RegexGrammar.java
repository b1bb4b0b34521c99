package dev.inferj.grammar;

import dev.inferj.GrammarException;
import java.util.ArrayList;
import java.util.List;

/**
 * A JSON Schema {@code pattern} as GBNF for the inside of a JSON string. The subset: literal
 * characters and escapes, {@code .}, {@code [classes]} with ranges and negation, {@code \d \w \s}
 * ({@code \s} as a plain space, the one kind of blank a JSON string holds unescaped), groups
 * {@code (...)} and {@code (?:...)}, {@code |}, and the quantifiers {@code * + ? {m} {m,} {m,n}};
 * {@code ^} and {@code $} at the ends anchor it (without them, any text may come before and after,
 * as JSON Schema's search semantics allow). Characters that a JSON string must escape ({@code "},
 * {@code \}, controls) may not appear.
 */
final class RegexGrammar {
    /** Any character a JSON string holds unescaped. */
    private static final String PLAIN = "[^\"\\\\\\x00-\\x1f]";
    /** What {@code .} matches in a JSON string: not a line terminator (ECMA-262), nor what needs escaping. */
    private static final String DOT = "[^\"\\\\\\x00-\\x1f\\u2028\\u2029]";

    private final String pattern;
    private final String where;
    private int pos;

    private RegexGrammar(String pattern, String where) {
        this.pattern = pattern;
        this.where = where;
    }

    static String toGbnf(String pattern, String where) {
        RegexGrammar r = new RegexGrammar(pattern, where);
        boolean anchoredStart = pattern.startsWith("^");
        if (anchoredStart) {
            r.pos = 1;
        }
        String body = r.alternation();
        boolean anchoredEnd = false;
        if (r.pos < pattern.length() && pattern.charAt(r.pos) == '$' && r.pos == pattern.length() - 1) {
            anchoredEnd = true;
            r.pos++;
        }
        if (r.pos != pattern.length()) {
            throw r.error("unexpected " + pattern.charAt(r.pos));
        }
        return (anchoredStart ? "" : PLAIN + "* ") + "(" + body + ")" + (anchoredEnd ? "" : " " + PLAIN + "*");
    }

    private String alternation() {
        List<String> options = new ArrayList<>();
        options.add(sequence());
        while (pos < pattern.length() && pattern.charAt(pos) == '|') {
            pos++;
            options.add(sequence());
        }
        return String.join(" | ", options);
    }

    private String sequence() {
        List<String> atoms = new ArrayList<>();
        while (pos < pattern.length()) {
            char c = pattern.charAt(pos);
            if (c == '|' || c == ')' || (c == '$' && pos == pattern.length() - 1)) {
                break;
            }
            String atom = atom();
            if (pos < pattern.length() && "*+?{".indexOf(pattern.charAt(pos)) >= 0) {
                atom = "(" + atom + ")" + quantifier();
            }
            atoms.add(atom);
        }
        return atoms.isEmpty() ? "\"\"" : String.join(" ", atoms);
    }

    private String quantifier() {
        char c = pattern.charAt(pos++);
        if (c != '{') {
            if (pos < pattern.length() && (pattern.charAt(pos) == '?' || pattern.charAt(pos) == '+')) {
                throw error("lazy and possessive quantifiers are not supported");
            }
            return String.valueOf(c);
        }
        int close = pattern.indexOf('}', pos);
        if (close < 0 || !pattern.substring(pos, close).matches("\\d{1,4}(,\\d{0,4})?")) {
            throw error("a quantifier {m}, {m,} or {m,n} was expected");
        }
        String q = "{" + pattern.substring(pos, close) + "}";
        pos = close + 1;
        return q;
    }

    private String atom() {
        char c = pattern.charAt(pos++);
        switch (c) {
            case '(' -> {
                if (pattern.startsWith("?:", pos)) {
                    pos += 2;
                } else if (pos < pattern.length() && pattern.charAt(pos) == '?') {
                    throw error("lookarounds and named groups are not supported");
                }
                String inner = alternation();
                if (pos >= pattern.length() || pattern.charAt(pos) != ')') {
                    throw error("a closing ) was expected");
                }
                pos++;
                return "(" + inner + ")";
            }
            case '.' -> {
                return DOT;
            }
            case '[' -> {
                return charClass();
            }
            case '\\' -> {
                return escape(false);
            }
            case '^', '$' -> throw error("anchors inside the pattern are not supported");
            case '*', '+', '?', '{' -> throw error("a quantifier needs something before it");
            default -> {
                return JsonSchemaGrammar.literal(String.valueOf(plain(c)));
            }
        }
    }

    private String charClass() {
        boolean negated = pos < pattern.length() && pattern.charAt(pos) == '^';
        if (negated) {
            pos++;
        }
        StringBuilder b = new StringBuilder(negated ? "[^\"\\\\\\x00-\\x1f" : "[");
        int start = b.length();
        boolean first = true;
        while (pos < pattern.length() && (pattern.charAt(pos) != ']' || first)) {
            first = false;
            char c = pattern.charAt(pos++);
            if (c == '\\') {
                b.append(escape(true));
            } else if (c == '-' && b.length() > start && pos < pattern.length() && pattern.charAt(pos) != ']') {
                b.append('-'); // a range
            } else {
                b.append(classChar(plain(c)));
            }
        }
        if (pos >= pattern.length()) {
            throw error("unterminated character class");
        }
        pos++;
        return b.append(']').toString();
    }

    /** After a backslash: a class shorthand or an escaped character. */
    private String escape(boolean inClass) {
        if (pos >= pattern.length()) {
            throw error("a pattern cannot end with \\");
        }
        char e = pattern.charAt(pos++);
        String shorthand = switch (e) {
            case 'd' -> "0-9";
            case 'w' -> "a-zA-Z0-9_";
            case 's' -> " ";
            default -> null;
        };
        if (shorthand != null) {
            return inClass ? shorthand : "[" + shorthand + "]";
        }
        if (Character.isLetterOrDigit(e)) {
            throw error("escape \\" + e + " is not supported");
        }
        char c = plain(e);
        return inClass ? classChar(c) : JsonSchemaGrammar.literal(String.valueOf(c));
    }

    private static String classChar(char c) {
        return c == ']' || c == '[' || c == '-' || c == '^' ? "\\" + c : String.valueOf(c);
    }

    private char plain(char c) {
        if (Character.isSurrogate(c)) {
            throw error("characters beyond the Basic Multilingual Plane are not supported in a pattern");
        }
        if (c == '"' || c == '\\' || c < 0x20) {
            throw error("character " + (c < 0x20 ? String.format("U+%04X", (int) c) : String.valueOf(c))
                    + " would need escaping in JSON; not supported in a pattern");
        }
        return c;
    }

    private GrammarException error(String message) {
        return new GrammarException("JSON schema at " + where + ": pattern " + pattern + " at " + pos + ": " + message);
    }
}
