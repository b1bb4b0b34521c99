package dev.inferj;

/** A GGUF file is malformed: the message names the file and the key, tensor or offset at fault. */
public class GgufFormatException extends InferjException {
    public GgufFormatException(String message) {
        super(message);
    }

    public GgufFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
