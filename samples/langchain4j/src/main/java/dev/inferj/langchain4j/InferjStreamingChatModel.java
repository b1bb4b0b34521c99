package dev.inferj.langchain4j;

import dev.inferj.GenerateOptions;
import dev.inferj.Model;
import dev.inferj.Session;
import dev.inferj.SessionOptions;
import dev.inferj.SessionPool;
import dev.inferj.TextStream;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import java.util.Set;

/**
 * LangChain4j's {@link StreamingChatModel} over an inferj {@link Model}, as {@link InferjChatModel} answers,
 * the text handed to {@code onPartialResponse} piece by piece on a virtual thread of its own. With tools, the
 * reply comes whole at the end (its text and its tool requests apart). The model stays the caller's to close.
 */
public final class InferjStreamingChatModel implements StreamingChatModel, AutoCloseable {
    private final Model model;
    private final GenerateOptions defaults;
    private final SessionPool sessions;
    private final String name;

    /** With the file's recommended sampling (else llama.cpp's), replies as long as the context allows. */
    public InferjStreamingChatModel(Model model) {
        this(model, model.generateDefaults().withMaxTokens(model.info().sessionContextLength()), SessionOptions.defaults());
    }

    public InferjStreamingChatModel(Model model, GenerateOptions defaults, SessionOptions sessionOptions) {
        this.model = model;
        this.defaults = defaults;
        this.sessions = new SessionPool(model, sessionOptions);
        this.name = model.info().name();
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        Conversation c;
        try {
            c = Conversation.of(request, defaults);
        } catch (RuntimeException e) {
            handler.onError(e);
            return;
        }
        Thread.ofVirtual().name("inferj-stream").start(() -> {
            Session session = sessions.take();
            try (TextStream text = session.streamChat(c.messages(), c.tools(), c.options())) {
                while (text.hasNext()) {
                    String piece = text.next();
                    if (c.tools() == null && !piece.isEmpty()) {
                        handler.onPartialResponse(piece);
                    }
                }
                handler.onCompleteResponse(c.response(text.result(), model, name));
            } catch (RuntimeException e) {
                handler.onError(e);
            } finally {
                sessions.give(session);
            }
        });
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
