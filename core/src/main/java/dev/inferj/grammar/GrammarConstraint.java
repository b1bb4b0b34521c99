package dev.inferj.grammar;

/**
 * Keeps one generation inside a grammar: which tokens may come next, given the text so far and
 * how many tokens are left. A token is allowed when its text continues the grammar and the
 * grammar can still be completed in the tokens that remain after it (counting one character a
 * token), so a generation always ends complete within its budget. End-of-generation tokens are
 * allowed only where the text is complete.
 */
public final class GrammarConstraint {
    private final TokenTrie trie;
    private GrammarState state;

    public GrammarConstraint(Grammar grammar, TokenTrie trie) {
        this.trie = trie;
        this.state = grammar.start();
    }

    /** Whether the text so far is complete. */
    public boolean complete() {
        return state.complete();
    }

    /** Complete, and nothing may follow. */
    public boolean finished() {
        return state.finished();
    }

    /** Whether the grammar needs more characters than {@code tokensLeft} tokens can give (one each). */
    public boolean cannotFinishIn(int tokensLeft) {
        return state.minRemaining() > tokensLeft;
    }

    /** Whether token {@code id}, as the next token, keeps the text inside the grammar with {@code tokensLeftAfter} to go. */
    public boolean allows(int id, int tokensLeftAfter) {
        int[] text = trie.text(id);
        if (text == null) {
            return false;
        }
        GrammarState next = state.advance(text);
        return !next.dead() && next.minRemaining() <= tokensLeftAfter;
    }

    /** Marks in {@code allowed} (by token id) every token that {@link #allows}, walking the trie once. */
    public void allowed(boolean[] allowed, int tokensLeftAfter) {
        visit(0, state, allowed, tokensLeftAfter);
    }

    private void visit(int node, GrammarState s, boolean[] allowed, int tokensLeftAfter) {
        TokenTrie t = trie;
        int end = t.firstChild[node] + t.childCount[node];
        for (int child = t.firstChild[node]; child < end; child++) {
            GrammarState next = s.advance(t.codePoint[child]);
            // a character lowers the characters still needed by one at most: no token below can fit the budget
            if (next.dead() || next.minRemaining() - t.height[child] > tokensLeftAfter) {
                continue;
            }
            if (next.minRemaining() <= tokensLeftAfter) {
                for (int k = t.firstToken[child], last = k + t.tokenCount[child]; k < last; k++) {
                    allowed[t.tokenIds[k]] = true;
                }
            }
            visit(child, next, allowed, tokensLeftAfter);
        }
    }

    /** Moves past {@code text}, as if tokens had written it; false when the grammar cannot hold it (the state is then dead). */
    public boolean accept(String text) {
        state = state.advance(text.codePoints().toArray());
        return !state.dead();
    }

    /** Moves past token {@code id}, which {@link #allows} must have accepted. */
    public void accept(int id) {
        state = state.advance(trie.text(id));
    }
}
