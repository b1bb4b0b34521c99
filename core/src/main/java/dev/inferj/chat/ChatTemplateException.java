package dev.inferj.chat;

import dev.inferj.InferjException;

/**
 * A chat template could not be parsed or rendered, or it refused the conversation.
 *
 * <p>When the template itself called {@code raise_exception(msg)} (for example "Conversation roles
 * must alternate user/assistant/user/assistant/..."), {@link #raisedByTemplate()} is true and the
 * message is exactly {@code msg}. Otherwise the message starts with the place in the template
 * source ("line 3, column 17: ...") whenever one is known, and {@link #line()} and {@link #column()}
 * give it (1-based; 0 when unknown).
 */
public final class ChatTemplateException extends InferjException {
    private static final long serialVersionUID = 1L;

    private final int line;
    private final int column;
    private final boolean raisedByTemplate;

    ChatTemplateException(String message, int line, int column, boolean raisedByTemplate) {
        super(message);
        this.line = line;
        this.column = column;
        this.raisedByTemplate = raisedByTemplate;
    }

    /** An error in the template or its data, at a place in the template source (0, 0: unknown). */
    static ChatTemplateException at(int line, int column, String message) {
        String where = line > 0 ? "line " + line + ", column " + column + ": " : "";
        return new ChatTemplateException(where + message, line, column, false);
    }

    /** What the template passed to {@code raise_exception}. */
    static ChatTemplateException raised(String message, int line, int column) {
        return new ChatTemplateException(message, line, column, true);
    }

    /** The 1-based line in the template source, or 0 when the error has no place. */
    public int line() {
        return line;
    }

    /** The 1-based column (in UTF-16 code units) in the template source, or 0 when unknown. */
    public int column() {
        return column;
    }

    /** Whether the template refused the input with {@code raise_exception}; the message is then its own. */
    public boolean raisedByTemplate() {
        return raisedByTemplate;
    }
}
