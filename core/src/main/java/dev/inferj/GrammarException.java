package dev.inferj;

/**
 * A grammar or JSON schema given to {@link GenerateOptions} that inferj cannot honour: malformed, or
 * using what it does not support. Thrown when the generation starts, before any token.
 */
public final class GrammarException extends InferjException {
    public GrammarException(String message) {
        super(message);
    }
}
