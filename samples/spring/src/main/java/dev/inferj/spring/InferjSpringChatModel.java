package dev.inferj.spring;

import dev.inferj.ChatMessage;
import dev.inferj.GenerateOptions;
import dev.inferj.Generation;
import dev.inferj.Model;
import dev.inferj.Session;
import dev.inferj.SessionOptions;
import dev.inferj.SessionPool;
import dev.inferj.TextStream;
import dev.inferj.Tool;
import dev.inferj.Tools;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.metadata.DefaultUsage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.tool.StructuredOutputChatOptions;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.tool.ToolCallback;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;

/**
 * Spring AI's {@link ChatModel} over an inferj {@link Model}: the prompt's messages through the model's chat
 * template, the options' temperature, top-p, top-k, penalties, max tokens and stop sequences, tools (the calls
 * come back as the assistant message's tool calls, for Spring AI to run), and structured output: a JSON
 * schema from {@link StructuredOutputChatOptions}, or the one {@code ChatClient.entity(...)} writes into the
 * prompt, constrains the reply, so it always parses. {@code stream} hands the text out as it comes.
 */
public final class InferjSpringChatModel implements ChatModel, AutoCloseable {
    /** Where BeanOutputConverter's format instructions give the schema. */
    private static final Pattern SCHEMA_IN_PROMPT = Pattern.compile(
            "Here is the JSON Schema instance your output must adhere to:\\s*```\\s*(\\{.*})\\s*```", Pattern.DOTALL);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Model model;
    private final GenerateOptions defaults;
    private final SessionPool sessions;

    public InferjSpringChatModel(Model model, GenerateOptions defaults) {
        this.model = model;
        this.defaults = defaults;
        this.sessions = new SessionPool(model, SessionOptions.defaults());
    }

    @Override
    public ChatResponse call(Prompt prompt) {
        Request r = request(prompt);
        Session session = sessions.take();
        try {
            return response(session.chat(r.messages, r.tools, r.options), r);
        } finally {
            sessions.give(session);
        }
    }

    @Override
    public Flux<ChatResponse> stream(Prompt prompt) {
        Request r = request(prompt);
        return Flux.<ChatResponse>create(sink -> {
            Session session = sessions.take();
            try (TextStream text = session.streamChat(r.messages, r.tools, r.options)) {
                sink.onDispose(text::cancel);
                while (text.hasNext() && !sink.isCancelled()) {
                    String piece = text.next();
                    if (!piece.isEmpty() && r.tools == null) {
                        sink.next(new ChatResponse(List.of(new org.springframework.ai.chat.model.Generation(new AssistantMessage(piece)))));
                    }
                }
                Generation g = text.result();
                sink.next(r.tools == null ? finalChunk(g, r) : response(g, r));
                sink.complete();
            } catch (RuntimeException e) {
                sink.error(e);
            } finally {
                sessions.give(session);
            }
        }).subscribeOn(Schedulers.boundedElastic());
    }

    @Override
    public ChatOptions getDefaultOptions() {
        return ToolCallingChatOptions.builder().build();
    }

    private record Request(List<ChatMessage> messages, Tools tools, GenerateOptions options) {
    }

    private Request request(Prompt prompt) {
        List<ChatMessage> messages = new ArrayList<>();
        for (Message m : prompt.getInstructions()) {
            messages.addAll(message(m));
        }
        GenerateOptions o = defaults;
        ChatOptions options = prompt.getOptions();
        Tools tools = null;
        String schema = null;
        if (options != null) {
            if (options.getTemperature() != null) {
                o = o.withTemperature(options.getTemperature().floatValue());
            }
            if (options.getTopP() != null) {
                o = o.withTopP(options.getTopP().floatValue());
            }
            if (options.getTopK() != null) {
                o = o.withTopK(options.getTopK());
            }
            if (options.getFrequencyPenalty() != null) {
                o = o.withFrequencyPenalty(options.getFrequencyPenalty().floatValue());
            }
            if (options.getPresencePenalty() != null) {
                o = o.withPresencePenalty(options.getPresencePenalty().floatValue());
            }
            if (options.getMaxTokens() != null) {
                o = o.withMaxTokens(options.getMaxTokens());
            }
            if (options.getStopSequences() != null && !options.getStopSequences().isEmpty()) {
                o = o.withStopStrings(options.getStopSequences());
            }
            if (options instanceof ToolCallingChatOptions t && t.getToolCallbacks() != null && !t.getToolCallbacks().isEmpty()) {
                List<Tool> functions = new ArrayList<>();
                for (ToolCallback callback : t.getToolCallbacks()) {
                    var d = callback.getToolDefinition();
                    functions.add(Tool.function(d.name(), d.description(), d.inputSchema()));
                }
                tools = Tools.auto(functions);
            }
            if (options instanceof StructuredOutputChatOptions s) {
                schema = s.getOutputSchema();
            }
        }
        if (schema == null && tools == null && !messages.isEmpty() && messages.getLast().content() != null) {
            Matcher m = SCHEMA_IN_PROMPT.matcher(messages.getLast().content());
            schema = m.find() ? m.group(1) : null;
        }
        return new Request(messages, tools, schema == null ? o : o.withJsonSchema(schema));
    }

    private static List<ChatMessage> message(Message m) {
        if (m instanceof SystemMessage s) {
            return List.of(ChatMessage.system(s.getText()));
        }
        if (m instanceof UserMessage u) {
            return List.of(ChatMessage.user(u.getText()));
        }
        if (m instanceof AssistantMessage a) {
            List<ChatMessage.ToolCall> calls = new ArrayList<>();
            for (AssistantMessage.ToolCall c : a.getToolCalls()) {
                @SuppressWarnings("unchecked")
                Map<String, Object> arguments = JSON.readValue(c.arguments(), Map.class);
                calls.add(new ChatMessage.ToolCall(c.id(), c.name(), arguments));
            }
            return List.of(ChatMessage.assistant(a.getText(), calls));
        }
        if (m instanceof ToolResponseMessage t) {
            return t.getResponses().stream().map(r -> ChatMessage.tool(r.name(), r.id(), r.responseData())).toList();
        }
        throw new IllegalArgumentException("inferj cannot show the model a " + m.getMessageType() + " message");
    }

    private ChatResponse response(Generation g, Request r) {
        List<AssistantMessage.ToolCall> calls = g.toolCalls().stream().map(c -> new AssistantMessage.ToolCall(c.id(), "function",
                c.name(), JSON.writeValueAsString(c.arguments()))).toList();
        AssistantMessage message = AssistantMessage.builder().content(g.text()).toolCalls(calls).build();
        return new ChatResponse(List.of(new org.springframework.ai.chat.model.Generation(message, metadata(g))), usage(g, r));
    }

    /** The last response of a stream: no text, the finish reason and the usage. */
    private ChatResponse finalChunk(Generation g, Request r) {
        return new ChatResponse(List.of(new org.springframework.ai.chat.model.Generation(new AssistantMessage(""), metadata(g))), usage(g, r));
    }

    private static ChatGenerationMetadata metadata(Generation g) {
        return ChatGenerationMetadata.builder().finishReason(switch (g.stopReason()) {
            case MAX_TOKENS, CONTEXT_FULL -> "LENGTH";
            case TOOL_CALLS -> "TOOL_CALLS";
            default -> "STOP";
        }).build();
    }

    private ChatResponseMetadata usage(Generation g, Request r) {
        int prompt = model.encodeChat(r.messages, r.tools, true).length;
        return ChatResponseMetadata.builder().model(model.info().name()).usage(new DefaultUsage(prompt, g.tokens().length)).build();
    }

    @Override
    public void close() {
        sessions.close();
    }
}
