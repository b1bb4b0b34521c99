package dev.inferj;

/** The base of every exception inferj throws on purpose; unchecked. */
public class InferjException extends RuntimeException {
    public InferjException(String message) {
        super(message);
    }

    public InferjException(String message, Throwable cause) {
        super(message, cause);
    }
}
