package dev.inferj;

/**
 * How a session is made ({@link Model#newSession(SessionOptions)}).
 *
 * @param contextLength positions the session can hold; 0 means the model's ({@link ModelOptions#contextLength()})
 * @param cacheType     how its KV cache holds keys and values
 */
public record SessionOptions(int contextLength, KvCacheType cacheType) {

    public SessionOptions {
        if (contextLength < 0) {
            throw new IllegalArgumentException("contextLength must not be negative, was " + contextLength);
        }
        if (cacheType == null) {
            throw new IllegalArgumentException("cacheType must not be null");
        }
    }

    /** The model's context length and an F16 cache. */
    public static SessionOptions defaults() {
        return new SessionOptions(0, KvCacheType.F16);
    }

    public SessionOptions withContextLength(int contextLength) {
        return new SessionOptions(contextLength, cacheType);
    }

    public SessionOptions withCacheType(KvCacheType cacheType) {
        return new SessionOptions(contextLength, cacheType);
    }
}
