package dev.inferj.langchain4j;

import dev.inferj.ChatMessage;
import dev.inferj.GenerateOptions;
import dev.inferj.Generation;
import dev.inferj.Model;
import dev.inferj.Tool;
import dev.inferj.Tools;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.internal.Json;
import dev.langchain4j.internal.JsonSchemaElementJsonUtils;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** One LangChain4j chat request in inferj's terms, and inferj's generation back in LangChain4j's. */
record Conversation(List<ChatMessage> messages, Tools tools, GenerateOptions options) {

    static Conversation of(ChatRequest request, GenerateOptions defaults) {
        List<ChatMessage> messages = new ArrayList<>();
        for (dev.langchain4j.data.message.ChatMessage m : request.messages()) {
            messages.add(message(m));
        }
        ChatRequestParameters p = request.parameters();
        GenerateOptions o = defaults;
        if (p.temperature() != null) {
            o = o.withTemperature(p.temperature().floatValue());
        }
        if (p.topP() != null) {
            o = o.withTopP(p.topP().floatValue());
        }
        if (p.topK() != null) {
            o = o.withTopK(p.topK());
        }
        if (p.frequencyPenalty() != null) {
            o = o.withFrequencyPenalty(p.frequencyPenalty().floatValue());
        }
        if (p.presencePenalty() != null) {
            o = o.withPresencePenalty(p.presencePenalty().floatValue());
        }
        if (p.maxOutputTokens() != null) {
            o = o.withMaxTokens(p.maxOutputTokens());
        }
        if (p.stopSequences() != null && !p.stopSequences().isEmpty()) {
            o = o.withStopStrings(p.stopSequences());
        }
        if (p.responseFormat() != null && p.responseFormat().type() == ResponseFormatType.JSON) {
            o = o.withJsonSchema(p.responseFormat().jsonSchema() == null ? "{\"type\": \"object\"}"
                    : Json.toJson(JsonSchemaElementJsonUtils.toMap(p.responseFormat().jsonSchema().rootElement())));
        }
        return new Conversation(messages, tools(p.toolSpecifications(), p.toolChoice()), o);
    }

    private static ChatMessage message(dev.langchain4j.data.message.ChatMessage m) {
        if (m instanceof SystemMessage s) {
            return ChatMessage.system(s.text());
        }
        if (m instanceof UserMessage u) {
            if (!u.hasSingleText()) {
                throw new IllegalArgumentException("inferj reads text only; a user message has other contents");
            }
            return ChatMessage.user(u.singleText());
        }
        if (m instanceof AiMessage a) {
            List<ChatMessage.ToolCall> calls = new ArrayList<>();
            if (a.hasToolExecutionRequests()) {
                for (ToolExecutionRequest r : a.toolExecutionRequests()) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> arguments = Json.fromJson(r.arguments(), Map.class);
                    calls.add(new ChatMessage.ToolCall(r.id(), r.name(), arguments));
                }
            }
            return ChatMessage.assistant(a.text(), calls);
        }
        if (m instanceof ToolExecutionResultMessage t) {
            return ChatMessage.tool(t.toolName(), t.id(), t.text());
        }
        throw new IllegalArgumentException("inferj cannot show the model a " + m.type() + " message");
    }

    private static Tools tools(List<ToolSpecification> specifications, ToolChoice choice) {
        if (specifications == null || specifications.isEmpty()) {
            return null;
        }
        List<Tool> functions = new ArrayList<>();
        for (ToolSpecification s : specifications) {
            String parameters = s.parameters() == null ? "{\"type\": \"object\"}" : Json.toJson(JsonSchemaElementJsonUtils.toMap(s.parameters()));
            functions.add(Tool.function(s.name(), s.description(), parameters));
        }
        return new Tools(functions, choice == null ? Tools.Choice.AUTO : switch (choice) {
            case AUTO -> Tools.Choice.AUTO;
            case REQUIRED -> Tools.Choice.REQUIRED;
            case NONE -> Tools.Choice.NONE;
        });
    }

    /** The generation as LangChain4j's response: text or tool requests, token usage, finish reason. */
    ChatResponse response(Generation g, Model model, String modelName) {
        AiMessage message;
        if (g.toolCalls().isEmpty()) {
            message = AiMessage.from(g.text());
        } else {
            List<ToolExecutionRequest> requests = g.toolCalls().stream().map(c -> ToolExecutionRequest.builder().id(c.id())
                    .name(c.name()).arguments(Json.toJson(c.arguments())).build()).toList();
            message = g.text().isEmpty() ? AiMessage.from(requests) : AiMessage.from(g.text(), requests);
        }
        int input = model.encodeChat(messages, tools, true).length;
        return ChatResponse.builder().aiMessage(message).modelName(modelName)
                .tokenUsage(new TokenUsage(input, g.tokens().length)).finishReason(switch (g.stopReason()) {
                    case MAX_TOKENS, CONTEXT_FULL -> FinishReason.LENGTH;
                    case TOOL_CALLS -> FinishReason.TOOL_EXECUTION;
                    case CANCELLED -> FinishReason.OTHER;
                    default -> FinishReason.STOP;
                }).build();
    }
}
