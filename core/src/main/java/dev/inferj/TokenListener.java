package dev.inferj;

/** Hears each generated token as it is produced, for streaming. */
@FunctionalInterface
public interface TokenListener {
    /**
     * @param tokenId the token just generated
     * @param text    the text it completes: may be empty while a multi-byte character is still incomplete
     */
    void onToken(int tokenId, String text);
}
