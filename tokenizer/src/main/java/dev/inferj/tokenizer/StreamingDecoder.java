package dev.inferj.tokenizer;

/**
 * Turns token ids, fed one at a time, into text without ever splitting a character: the bytes
 * of a UTF-8 sequence that is still incomplete are held back until the token that completes it
 * arrives. An invalid sequence becomes U+FFFD. Concatenating every {@link #accept} and the final
 * {@link #flush} gives the same text as {@link Tokenizer#decode} of all the ids. Not thread-safe:
 * one decoder per generation.
 */
public final class StreamingDecoder {
    private final PieceTable pieces;
    private byte[] pending = new byte[32];
    private int pendingLength;
    private final StringBuilder out = new StringBuilder();

    StreamingDecoder(PieceTable pieces) {
        this.pieces = pieces;
    }

    /** Adds token {@code id}; returns the text that is now complete (often empty, never a partial character). */
    public String accept(int id) {
        pending = pieces.appendTo(id, pending, pendingLength);
        pendingLength += pieces.length(id);
        return drain(false);
    }

    /** Returns what is held back (an incomplete sequence becomes U+FFFD) and starts afresh. */
    public String flush() {
        return drain(true);
    }

    /** Whether bytes of an incomplete character are being held back. */
    public boolean hasPending() {
        return pendingLength > 0;
    }

    private String drain(boolean endOfInput) {
        if (pendingLength == 0) {
            return "";
        }
        out.setLength(0);
        int used = Utf8.decode(pending, 0, pendingLength, endOfInput, out);
        System.arraycopy(pending, used, pending, 0, pendingLength - used);
        pendingLength -= used;
        return out.isEmpty() ? "" : out.toString();
    }
}
