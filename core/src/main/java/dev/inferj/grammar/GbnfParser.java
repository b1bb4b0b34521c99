package dev.inferj.grammar;

import dev.inferj.GrammarException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a grammar in llama.cpp's GBNF: rules {@code name ::= alternatives}, alternatives separated
 * by {@code |}, sequences of {@code "literals"}, {@code [character classes]} (ranges, {@code ^}
 * negation), {@code .} (any character), rule names, {@code ( groups )}, and the repetitions
 * {@code * + ?} and {@code {m} {m,} {m,n}}; {@code #} comments. A rule ends at the end of its line,
 * except inside parentheses or after {@code |}. The start rule is {@code root}. Errors name the line
 * and column.
 */
public final class GbnfParser {
    private static final int MAX_REPEAT = 10_000;

    private final int[] text;
    private int pos;
    private final List<String> names = new ArrayList<>();
    private final List<List<Grammar.Element[]>> rules = new ArrayList<>();
    private final Map<String, Integer> ids = new HashMap<>();
    private final List<Boolean> defined = new ArrayList<>();
    private final Map<String, Integer> firstUse = new HashMap<>();

    private GbnfParser(String source) {
        this.text = source.codePoints().toArray();
    }

    /**
     * @throws GrammarException naming the line and column of a syntax error, an undefined rule, a
     *                          missing {@code root}, or a rule that recurses without consuming
     */
    public static Grammar parse(String source) {
        GbnfParser p = new GbnfParser(source);
        p.grammar();
        return p.build();
    }

    private Grammar build() {
        for (int r = 0; r < names.size(); r++) {
            if (!defined.get(r)) {
                throw error(firstUse.get(names.get(r)), "rule " + names.get(r) + " is used but not defined");
            }
        }
        Integer root = ids.get("root");
        if (root == null || !defined.get(root)) {
            throw new GrammarException("grammar: no rule named root (the start rule)");
        }
        return new Grammar(names, rules, root);
    }

    private void grammar() {
        skip(true);
        while (pos < text.length) {
            int at = pos;
            String name = name();
            if (name.isEmpty()) {
                throw error(at, "expected a rule name");
            }
            skip(false);
            if (!consume("::=")) {
                throw error(pos, "expected ::= after rule name " + name);
            }
            skip(true);
            int id = rule(name, at);
            if (defined.get(id)) {
                throw error(at, "rule " + name + " is defined twice");
            }
            defined.set(id, true);
            rules.set(id, alternatives(false));
            skip(false);
            if (pos < text.length && text[pos] != '\n' && text[pos] != '\r') {
                throw error(pos, "expected the end of the line after rule " + name);
            }
            skip(true);
        }
    }

    /** Alternatives up to a newline at the top level, or to ')' when nested. */
    private List<Grammar.Element[]> alternatives(boolean nested) {
        List<Grammar.Element[]> alternatives = new ArrayList<>();
        alternatives.add(sequence(nested));
        while (pos < text.length && text[pos] == '|') {
            pos++;
            skip(true);
            alternatives.add(sequence(nested));
        }
        return alternatives;
    }

    private Grammar.Element[] sequence(boolean nested) {
        List<Grammar.Element> elements = new ArrayList<>();
        while (pos < text.length) {
            int c = text[pos];
            int lastStart = elements.size();
            if (c == '"') {
                pos++;
                while (pos < text.length && text[pos] != '"') {
                    int cp = character();
                    elements.add(new Grammar.CharSet(new int[] {cp, cp}, false));
                }
                expect('"', "a closing \" of a literal");
            } else if (c == '[') {
                elements.add(charClass());
            } else if (c == '.') {
                pos++;
                elements.add(new Grammar.CharSet(new int[0], true));
            } else if (c == '(') {
                pos++;
                skip(true);
                int id = helper("group");
                rules.set(id, alternatives(true));
                expect(')', "a closing )");
                elements.add(new Grammar.RuleRef(id));
            } else if (isNameChar(c)) {
                int at = pos;
                String name = name();
                elements.add(new Grammar.RuleRef(rule(name, at)));
            } else {
                break;
            }
            skip(nested);
            if (pos < text.length && (text[pos] == '*' || text[pos] == '+' || text[pos] == '?' || text[pos] == '{')) {
                if (elements.size() == lastStart) {
                    throw error(pos, "a repetition needs something before it");
                }
                repetition(elements, lastStart);
                skip(nested);
            }
        }
        return elements.toArray(Grammar.Element[]::new);
    }

    /** Rewrites {@code elements[from..]} under the repetition operator at {@code pos}. */
    private void repetition(List<Grammar.Element> elements, int from) {
        int at = pos;
        int c = text[pos++];
        int min;
        int max; // -1: unbounded
        switch (c) {
            case '*' -> { min = 0; max = -1; }
            case '+' -> { min = 1; max = -1; }
            case '?' -> { min = 0; max = 1; }
            default -> {
                skip(true);
                min = number(at);
                skip(true);
                max = min;
                if (pos < text.length && text[pos] == ',') {
                    pos++;
                    skip(true);
                    max = pos < text.length && Character.isDigit(text[pos]) ? number(at) : -1;
                    skip(true);
                }
                expect('}', "a closing } of a repetition");
                if (max >= 0 && max < min) {
                    throw error(at, "repetition {" + min + "," + max + "}: the maximum is below the minimum");
                }
            }
        }
        if (min > MAX_REPEAT || max > MAX_REPEAT) {
            throw error(at, "repetition count above " + MAX_REPEAT);
        }
        List<Grammar.Element> item = new ArrayList<>(elements.subList(from, elements.size()));
        elements.subList(from, elements.size()).clear();
        Grammar.Element[] one = item.toArray(Grammar.Element[]::new);
        for (int i = 0; i < min; i++) {
            elements.addAll(item);
        }
        if (max < 0) { // star ::= item star | (empty)
            int star = helper("star");
            Grammar.Element[] again = append(one, new Grammar.RuleRef(star));
            rules.set(star, List.of(again, new Grammar.Element[0]));
            elements.add(new Grammar.RuleRef(star));
        } else if (max > min) { // opt_k ::= item opt_(k-1) | (empty), nested so that the rules stay linear
            int next = -1;
            for (int k = 0; k < max - min; k++) {
                int opt = helper("opt");
                Grammar.Element[] body = next < 0 ? one : append(one, new Grammar.RuleRef(next));
                rules.set(opt, List.of(body, new Grammar.Element[0]));
                next = opt;
            }
            elements.add(new Grammar.RuleRef(next));
        }
    }

    private static Grammar.Element[] append(Grammar.Element[] a, Grammar.Element e) {
        Grammar.Element[] out = java.util.Arrays.copyOf(a, a.length + 1);
        out[a.length] = e;
        return out;
    }

    private Grammar.CharSet charClass() {
        int at = pos;
        pos++; // [
        boolean negated = pos < text.length && text[pos] == '^';
        if (negated) {
            pos++;
        }
        List<Integer> ranges = new ArrayList<>();
        while (pos < text.length && text[pos] != ']') {
            if (text[pos] == '\n') {
                break; // unterminated: a class ends on its line
            }
            int low = character();
            int high = low;
            if (pos + 1 < text.length && text[pos] == '-' && text[pos + 1] != ']' && text[pos + 1] != '\n') {
                pos++;
                high = character();
                if (high < low) {
                    throw error(at, "character range " + Character.toString(low) + "-" + Character.toString(high)
                            + " runs backwards");
                }
            }
            ranges.add(low);
            ranges.add(high);
        }
        if (pos >= text.length || text[pos] != ']') {
            throw error(at, "unterminated character class");
        }
        pos++; // ]
        return new Grammar.CharSet(ranges.stream().mapToInt(Integer::intValue).toArray(), negated);
    }

    /** One character of a literal or class, with GBNF's escapes. */
    private int character() {
        if (pos >= text.length) {
            throw error(pos, "unexpected end of the grammar");
        }
        int c = text[pos++];
        if (c != '\\') {
            return c;
        }
        if (pos >= text.length) {
            throw error(pos, "unexpected end after \\");
        }
        int e = text[pos++];
        return switch (e) {
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            case '\\', '"', '[', ']', '-', '^', '/' -> e;
            case 'x' -> hex(2);
            case 'u' -> hex(4);
            case 'U' -> hex(8);
            default -> throw error(pos - 2, "unknown escape \\" + Character.toString(e));
        };
    }

    private int hex(int digits) {
        int value = 0;
        for (int i = 0; i < digits; i++) {
            int d = pos < text.length ? Character.digit(text[pos], 16) : -1;
            if (d < 0) {
                throw error(pos, "expected " + digits + " hexadecimal digits");
            }
            value = value * 16 + d;
            pos++;
        }
        if (value > Character.MAX_CODE_POINT) {
            throw error(pos, "escape beyond the last Unicode code point");
        }
        return value;
    }

    private int number(int at) {
        int start = pos;
        long value = 0;
        while (pos < text.length && text[pos] >= '0' && text[pos] <= '9') {
            value = Math.min(value * 10 + (text[pos++] - '0'), Integer.MAX_VALUE);
        }
        if (pos == start) {
            throw error(at, "expected a number in the repetition");
        }
        return (int) value;
    }

    private String name() {
        int start = pos;
        while (pos < text.length && isNameChar(text[pos])) {
            pos++;
        }
        return new String(text, start, pos - start);
    }

    private static boolean isNameChar(int c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_';
    }

    private int rule(String name, int at) {
        Integer id = ids.get(name);
        if (id == null) {
            id = names.size();
            ids.put(name, id);
            names.add(name);
            rules.add(List.of());
            defined.add(false);
            firstUse.put(name, at);
        }
        return id;
    }

    private int helper(String kind) {
        int id = names.size();
        names.add("(" + kind + " " + id + ")");
        rules.add(List.of());
        defined.add(true);
        return id;
    }

    /** Skips spaces, tabs and comments, and newlines when {@code newlines}. */
    private void skip(boolean newlines) {
        while (pos < text.length) {
            int c = text[pos];
            if (c == '#') {
                while (pos < text.length && text[pos] != '\n') {
                    pos++;
                }
            } else if (c == ' ' || c == '\t' || (newlines && (c == '\n' || c == '\r'))) {
                pos++;
            } else {
                return;
            }
        }
    }

    private boolean consume(String s) {
        int[] cps = s.codePoints().toArray();
        if (pos + cps.length > text.length) {
            return false;
        }
        for (int i = 0; i < cps.length; i++) {
            if (text[pos + i] != cps[i]) {
                return false;
            }
        }
        pos += cps.length;
        return true;
    }

    private void expect(int c, String what) {
        if (pos >= text.length || text[pos] != c) {
            throw error(pos, "expected " + what);
        }
        pos++;
    }

    private GrammarException error(int at, String message) {
        int line = 1;
        int column = 1;
        for (int i = 0; i < Math.min(at, text.length); i++) {
            if (text[i] == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
        }
        return new GrammarException("grammar, line " + line + ", column " + column + ": " + message);
    }
}
