package dev.inferj.chat;

/**
 * An error inside the interpreter, carrying an offset into the template source that the nearest
 * enclosing node fills in; {@link ChatTemplate} turns it into a {@link ChatTemplateException} with
 * line and column. No stack trace: it is thrown for bad templates and bad data, not for bugs.
 */
final class TemplateError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Offset into the original template source, or -1 until a node claims the error. */
    int offset;
    final boolean raisedByTemplate;

    TemplateError(String message) {
        this(message, -1, false);
    }

    TemplateError(String message, int offset, boolean raisedByTemplate) {
        super(message, null, false, false);
        this.offset = offset;
        this.raisedByTemplate = raisedByTemplate;
    }
}
