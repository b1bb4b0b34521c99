package dev.inferj;

/** A well-formed model that inferj cannot run: an unknown architecture, tensor type or hyper-parameter value. */
public class UnsupportedModelException extends InferjException {
    public UnsupportedModelException(String message) {
        super(message);
    }
}
