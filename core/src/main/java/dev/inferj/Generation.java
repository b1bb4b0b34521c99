package dev.inferj;

import java.util.List;

/**
 * The result of {@link Session#generate}: the generated text (without the prompt), the token
 * ids of the prompt and of the continuation, why it stopped, how long it took, and, for a chat turn
 * that offered {@link Tools}, the calls the model made (then {@code text} is what it wrote before them).
 */
public record Generation(String text, int[] promptTokens, int[] tokens, StopReason stopReason, Timings timings,
        List<ChatMessage.ToolCall> toolCalls) {

    public Generation {
        toolCalls = List.copyOf(toolCalls);
    }

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
        CANCELLED,
        /** The model called tools ({@link Generation#toolCalls()}) and ended its turn. */
        TOOL_CALLS
    }
}
