package dev.inferj;

/**
 * The result of {@link Session#generate}: the generated text (without the prompt), the token
 * ids of the prompt and of the continuation, why it stopped, and how long it took.
 */
public record Generation(String text, int[] promptTokens, int[] tokens, StopReason stopReason, Timings timings) {

    /** Why a generation ended. */
    public enum StopReason {
        /** The model produced an end-of-generation token (not included in the output). */
        END_OF_GENERATION,
        /** {@link GenerateOptions#maxTokens()} tokens were generated. */
        MAX_TOKENS,
        /** The session's context is full. */
        CONTEXT_FULL,
        /** A stop string appeared (the text ends before it). */
        STOP_STRING,
        /** The generation was cancelled ({@link Session#cancel()}, a stream closed early, an interrupt). */
        CANCELLED
    }
}
