package dev.inferj.grammar;

import dev.inferj.GrammarException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A context-free grammar over Unicode code points, compiled from GBNF ({@link GbnfParser}): each
 * rule is a list of alternatives, each alternative a sequence of character sets and references to
 * rules (repetitions are already rewritten into helper rules). Knows the fewest characters each
 * rule and each rest of a sequence can still produce, which decoding uses to finish within a budget.
 * Immutable.
 */
public final class Grammar {

    /** One element of a sequence. */
    sealed interface Element permits CharSet, RuleRef {
    }

    /** Matches one code point: in one of the ranges, or in none of them when {@code negated}. */
    record CharSet(int[] ranges, boolean negated) implements Element {
        boolean matches(int cp) {
            boolean in = false;
            for (int i = 0; i < ranges.length && !in; i += 2) {
                in = cp >= ranges[i] && cp <= ranges[i + 1];
            }
            return in != negated;
        }
    }

    /** A reference to rule number {@code rule}. */
    record RuleRef(int rule) implements Element {
    }

    /** A sequence of elements, with the fewest characters that each of its suffixes produces. */
    static final class Sequence {
        final Element[] elements;
        /** {@code minRemaining[i]}: the fewest code points {@code elements[i..]} produce. */
        final int[] minRemaining;

        Sequence(Element[] elements) {
            this.elements = elements;
            this.minRemaining = new int[elements.length + 1];
        }
    }

    private static final int INFINITE = Integer.MAX_VALUE / 4;

    final String[] names;
    final Sequence[][] rules;
    final int root;

    Grammar(List<String> names, List<List<Element[]>> rules, int root) {
        this.names = names.toArray(String[]::new);
        this.rules = new Sequence[rules.size()][];
        for (int r = 0; r < rules.size(); r++) {
            this.rules[r] = rules.get(r).stream().map(Sequence::new).toArray(Sequence[]::new);
        }
        this.root = root;
        computeMinimumLengths();
        checkNoLeftRecursion();
    }

    /** The state before any character: the root rule expanded. */
    public GrammarState start() {
        return GrammarState.start(this);
    }

    /** The name of rule {@code r}, as written or as generated for a repetition. */
    String name(int r) {
        return names[r];
    }

    private void computeMinimumLengths() {
        int[] ruleMin = new int[rules.length];
        Arrays.fill(ruleMin, INFINITE);
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int r = 0; r < rules.length; r++) {
                for (Sequence s : rules[r]) {
                    int total = 0;
                    for (Element e : s.elements) {
                        total = Math.min(INFINITE, total + (e instanceof RuleRef ref ? ruleMin[ref.rule()] : 1));
                    }
                    if (total < ruleMin[r]) {
                        ruleMin[r] = total;
                        changed = true;
                    }
                }
            }
        }
        for (int r = 0; r < rules.length; r++) {
            if (ruleMin[r] >= INFINITE) {
                throw new GrammarException("rule " + names[r] + " never ends: each of its alternatives refers to itself");
            }
            for (Sequence s : rules[r]) {
                for (int i = s.elements.length - 1; i >= 0; i--) {
                    int here = s.elements[i] instanceof RuleRef ref ? ruleMin[ref.rule()] : 1;
                    s.minRemaining[i] = s.minRemaining[i + 1] + here;
                }
            }
        }
    }

    /** A rule that can reach itself without consuming a character would make expansion loop forever. */
    private void checkNoLeftRecursion() {
        List<List<Integer>> leftRefs = new ArrayList<>();
        for (Sequence[] alternatives : rules) {
            List<Integer> refs = new ArrayList<>();
            for (Sequence s : alternatives) {
                for (int i = 0; i < s.elements.length; i++) {
                    if (!(s.elements[i] instanceof RuleRef ref)) {
                        break;
                    }
                    refs.add(ref.rule());
                    if (s.minRemaining[i] - s.minRemaining[i + 1] > 0) {
                        break; // this rule consumes a character at least
                    }
                }
            }
            leftRefs.add(refs);
        }
        int[] mark = new int[rules.length]; // 0 new, 1 on the path, 2 done
        for (int r = 0; r < rules.length; r++) {
            visit(r, leftRefs, mark);
        }
    }

    private void visit(int r, List<List<Integer>> leftRefs, int[] mark) {
        if (mark[r] == 2) {
            return;
        }
        if (mark[r] == 1) {
            throw new GrammarException("rule " + names[r] + " is left-recursive: it can refer to itself before any character");
        }
        mark[r] = 1;
        for (int next : leftRefs.get(r)) {
            visit(next, leftRefs, mark);
        }
        mark[r] = 2;
    }
}
