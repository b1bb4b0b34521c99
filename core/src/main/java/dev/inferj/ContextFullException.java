package dev.inferj;

/**
 * Tokens that do not fit in what is left of a session's context: nothing of them was evaluated, and the session is as
 * it was. A longer context is {@link SessionOptions#withContextLength} (or {@link ModelOptions#withContextLength}).
 */
public final class ContextFullException extends InferjException {
    private final long tokens;
    private final int used;
    private final int contextLength;

    ContextFullException(String what, long tokens, int used, int contextLength) {
        super(what + " cannot fit in the session: " + used + " of its " + contextLength + " positions are used, "
                + (contextLength - used) + " are free");
        this.tokens = tokens;
        this.used = used;
        this.contextLength = contextLength;
    }

    /** How many tokens were to be added (for a prompt refused before it was tokenized: the fewest it can take). */
    public long tokens() {
        return tokens;
    }

    /** The positions the session had used. */
    public int used() {
        return used;
    }

    /** The session's length. */
    public int contextLength() {
        return contextLength;
    }
}
