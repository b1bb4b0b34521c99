package dev.inferj.grammar;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where a grammar stands after some text: every way the text can be continued, each a stack of
 * what remains to match (the innermost sequence first). The top of each stack is a character set;
 * an empty stack means the text so far is complete. {@link #advance} gives the next state, and
 * remembers it; and the states reached from one start are interned (equal stacks, one state), so
 * that what one step computed serves the next. A walk of the vocabulary's trie reaches the same
 * state with the same character from many tokens (inside a JSON string, every token's prefix of
 * plain characters), and each step's walk mostly retraces the last one's. Not thread-safe: the
 * states of one start belong to one generation.
 */
public final class GrammarState {

    /** What remains: {@code sequence.elements[position..]}, then {@code parent}. */
    static final class Frame {
        final Grammar.Sequence sequence;
        final int position;
        final Frame parent;
        /** The fewest code points this frame and its parents still produce. */
        final int minRemaining;
        private final int hash;

        Frame(Grammar.Sequence sequence, int position, Frame parent) {
            this.sequence = sequence;
            this.position = position;
            this.parent = parent;
            this.minRemaining = sequence.minRemaining[position] + (parent == null ? 0 : parent.minRemaining);
            this.hash = (System.identityHashCode(sequence) * 31 + position) * 31 + (parent == null ? 0 : parent.hash);
        }

        @Override
        public boolean equals(Object o) {
            if (this == o) {
                return true;
            }
            if (!(o instanceof Frame f) || f.hash != hash || f.sequence != sequence || f.position != position) {
                return false;
            }
            return parent == null ? f.parent == null : parent.equals(f.parent);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** Stops an ambiguous grammar from multiplying its stacks without bound. */
    static final int MAX_STACKS = 4096;
    /** Interned states beyond this are forgotten (and computed again when met). */
    private static final int MAX_INTERNED = 200_000;

    private final Grammar grammar;
    /** The states met since the start, by their stacks and completeness. */
    private final Map<List<Object>, GrammarState> interned;
    /** Stacks whose top is a character set. */
    private final Frame[] stacks;
    private final boolean complete;
    private final int minRemaining;
    /** The states {@link #advance(int)} gave, by code point: ASCII in an array, the rest in a map. */
    private GrammarState[] nextAscii;
    private Map<Integer, GrammarState> next;

    private GrammarState(Grammar grammar, Map<List<Object>, GrammarState> interned, Frame[] stacks, boolean complete) {
        this.grammar = grammar;
        this.interned = interned;
        this.stacks = stacks;
        this.complete = complete;
        int min = complete ? 0 : Integer.MAX_VALUE;
        for (Frame f : stacks) {
            min = Math.min(min, f.minRemaining);
        }
        this.minRemaining = min;
    }

    static GrammarState start(Grammar g) {
        Builder b = new Builder(g, new HashMap<>());
        for (Grammar.Sequence s : g.rules[g.root]) {
            b.expand(new Frame(s, 0, null));
        }
        return b.build();
    }

    /** The state after one more code point; {@link #dead()} when the grammar does not allow it here. */
    public GrammarState advance(int codePoint) {
        if (codePoint < 128) {
            if (nextAscii == null) {
                nextAscii = new GrammarState[128];
            }
            GrammarState s = nextAscii[codePoint];
            if (s == null) {
                s = compute(codePoint);
                nextAscii[codePoint] = s;
            }
            return s;
        }
        if (next == null) {
            next = new HashMap<>();
        }
        return next.computeIfAbsent(codePoint, this::compute);
    }

    private GrammarState compute(int codePoint) {
        Builder b = new Builder(grammar, interned);
        for (Frame f : stacks) {
            if (((Grammar.CharSet) f.sequence.elements[f.position]).matches(codePoint)) {
                b.expand(new Frame(f.sequence, f.position + 1, f.parent));
            }
        }
        return b.build();
    }

    /** The state after each code point of {@code text}, or a dead one. */
    public GrammarState advance(int[] text) {
        GrammarState s = this;
        for (int i = 0; i < text.length && !s.dead(); i++) {
            s = s.advance(text[i]);
        }
        return s;
    }

    /** No continuation and not complete: the text so far is outside the grammar. */
    public boolean dead() {
        return stacks.length == 0 && !complete;
    }

    /** The text so far is a whole sentence of the grammar (it may still go on). */
    public boolean complete() {
        return complete;
    }

    /** Complete, and no character can follow. */
    public boolean finished() {
        return complete && stacks.length == 0;
    }

    /** The fewest code points still needed to complete (0 when complete). */
    public int minRemaining() {
        return minRemaining;
    }

    /** Collects the stacks of a state, expanding rule references until a character set is on top. */
    private static final class Builder {
        private final Grammar grammar;
        private final Map<List<Object>, GrammarState> interned;
        private final Set<Frame> seen = new HashSet<>();
        private final List<Object> stacks = new ArrayList<>();
        private boolean complete;

        Builder(Grammar grammar, Map<List<Object>, GrammarState> interned) {
            this.grammar = grammar;
            this.interned = interned;
        }

        void expand(Frame f) {
            while (f != null && f.position == f.sequence.elements.length) {
                f = f.parent;
            }
            if (f == null) {
                complete = true;
                return;
            }
            if (!seen.add(f)) {
                return;
            }
            if (f.sequence.elements[f.position] instanceof Grammar.RuleRef ref) {
                Frame after = new Frame(f.sequence, f.position + 1, f.parent);
                for (Grammar.Sequence alternative : grammar.rules[ref.rule()]) {
                    expand(new Frame(alternative, 0, after));
                }
            } else if (stacks.size() < MAX_STACKS) {
                stacks.add(f);
            }
        }

        GrammarState build() {
            stacks.add(complete); // part of the key
            GrammarState known = interned.get(stacks);
            if (known != null) {
                return known;
            }
            if (interned.size() >= MAX_INTERNED) {
                interned.clear();
            }
            Frame[] frames = stacks.subList(0, stacks.size() - 1).toArray(Frame[]::new);
            GrammarState s = new GrammarState(grammar, interned, frames, complete);
            interned.put(stacks, s);
            return s;
        }
    }
}
