package dev.inferj;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One turn of a conversation, as a model's chat template reads it ({@code message.role},
 * {@code message.content}, ...).
 *
 * @param role       who speaks: usually "system", "user", "assistant" or "tool"; templates decide
 *                   which roles they accept
 * @param content    the text; may be null (none), as for an assistant turn that only calls tools
 * @param toolCalls  the tools an assistant turn calls (empty for other turns)
 * @param name       the tool's name on a "tool" turn, else null
 * @param toolCallId the id of the call a "tool" turn answers, else null
 */
public record ChatMessage(String role, String content, List<ToolCall> toolCalls, String name, String toolCallId) {

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }

    /** A call of a tool by the assistant, rendered as {@code {id, type: "function", function: {name, arguments}}}. */
    public record ToolCall(String id, String name, Map<String, Object> arguments) {
        /**
         * @param id        the call's id, echoed by the tool turn that answers it; may be null
         * @param name      the tool's name
         * @param arguments the arguments, as JSON-like values (strings, numbers, booleans, null,
         *                  maps and lists); key order is kept
         */
        public ToolCall {
            Objects.requireNonNull(name, "name");
            arguments = arguments == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(arguments));
        }
    }

    public static ChatMessage system(String content) {
        return new ChatMessage("system", content, List.of(), null, null);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content, List.of(), null, null);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content, List.of(), null, null);
    }

    /** An assistant turn that calls tools; {@code content} may be empty or null. */
    public static ChatMessage assistant(String content, List<ToolCall> toolCalls) {
        return new ChatMessage("assistant", content, toolCalls, null, null);
    }

    /** A tool's answer to the call {@code toolCallId} of the tool {@code name}. */
    public static ChatMessage tool(String name, String toolCallId, String content) {
        return new ChatMessage("tool", content, List.of(), name, toolCallId);
    }
}
