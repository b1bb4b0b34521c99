package dev.inferj.langchain4j;

import dev.inferj.GenerateOptions;
import dev.inferj.Generation;
import dev.inferj.Model;
import dev.inferj.Session;
import dev.inferj.SessionOptions;
import dev.inferj.SessionPool;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.Set;

/**
 * LangChain4j's {@link ChatModel} over an inferj {@link Model}: the conversation through the model's chat
 * template, the request's sampling parameters over {@code defaults}, JSON response formats (a schema's output
 * always parses), tools, token usage and finish reason. Works with {@code AiServices}. Calls may come from many
 * threads: each runs in a session of its own. The model stays the caller's to close; {@link #close()} frees
 * the sessions.
 */
public final class InferjChatModel implements ChatModel, AutoCloseable {
    private final Model model;
    private final GenerateOptions defaults;
    private final SessionPool sessions;
    private final String name;
    /** Whether each call draws with a fresh seed (else the defaults' seed, for repeatable replies). */
    private final boolean freshSeeds;

    /** With the file's recommended sampling (else llama.cpp's) and a fresh seed each call, replies as long as the context allows. */
    public InferjChatModel(Model model) {
        this(model, model.generateDefaults().withMaxTokens(model.info().sessionContextLength()), SessionOptions.defaults(), true);
    }

    /** With {@code defaults} (their seed too: the same request gets the same reply) under the request's parameters. */
    public InferjChatModel(Model model, GenerateOptions defaults, SessionOptions sessionOptions) {
        this(model, defaults, sessionOptions, false);
    }

    private InferjChatModel(Model model, GenerateOptions defaults, SessionOptions sessionOptions, boolean freshSeeds) {
        this.model = model;
        this.defaults = defaults;
        this.sessions = new SessionPool(model, sessionOptions);
        this.name = model.info().name();
        this.freshSeeds = freshSeeds;
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        Conversation c = Conversation.of(request, freshSeeds ? defaults.withSeed(System.nanoTime()) : defaults);
        Session session = sessions.take();
        try {
            Generation g = session.chat(c.messages(), c.tools(), c.options());
            return c.response(g, model, name);
        } finally {
            sessions.give(session);
        }
    }

    @Override
    public Set<Capability> supportedCapabilities() {
        return Set.of(Capability.RESPONSE_FORMAT_JSON_SCHEMA);
    }

    @Override
    public void close() {
        sessions.close();
    }
}
