package dev.inferj;

/**
 * How a session's KV cache holds the keys and values of the positions it has seen ({@link SessionOptions}).
 * The cache takes {@code 2 x layers x context x kvDim} elements of this type.
 */
public enum KvCacheType {
    /** Floats, twice the memory of F16: keys and values exactly as computed. */
    F32,
    /** Half precision, llama.cpp's default and the one its reference outputs use. */
    F16,
    /**
     * Blocks of 32 bytes with a half-precision scale (34 bytes per 32 values, 53% of F16), as llama.cpp's
     * {@code -ctk q8_0 -ctv q8_0}. Needs attention heads whose width is a multiple of 32.
     */
    Q8_0
}
