package dev.inferj.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.inferj.ChatMessage;
import dev.inferj.GenerateOptions;
import dev.inferj.Generation;
import dev.inferj.InferjException;
import dev.inferj.Model;
import dev.inferj.Session;
import dev.inferj.TextStream;
import dev.inferj.Tools;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.IntSupplier;

/**
 * {@code /v1/chat/completions} and {@code /v1/completions}: each request takes a session from the slots for
 * its generation, answers in one JSON body or, with {@code "stream": true}, as server-sent events. A client
 * that goes away mid-stream cancels its generation (the next write fails) and frees the session.
 */
final class Completions {
    private final Model model;
    private final SessionSlots slots;
    private final String modelId;

    Completions(Model model, SessionSlots slots, String modelId) {
        this.model = model;
        this.slots = slots;
        this.modelId = modelId;
    }

    void chat(HttpExchange exchange, JsonNode request) throws IOException, InterruptedException {
        List<ChatMessage> messages = Requests.messages(request);
        if (!model.hasChatTemplate()) {
            throw ApiException.invalid("the model has no chat template (tokenizer.chat_template); use /v1/completions", "messages");
        }
        Tools tools = Requests.tools(request);
        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        run(exchange, request, id, "chat.completion", session -> session.streamChat(messages, tools, options(request, session)),
                () -> model.encodeChat(messages, tools, true).length, tools != null);
    }

    void text(HttpExchange exchange, JsonNode request) throws IOException, InterruptedException {
        JsonNode prompt = request.get("prompt");
        if (prompt != null && prompt.isArray() && prompt.size() == 1) {
            prompt = prompt.get(0);
        }
        if (prompt == null || !prompt.isTextual()) {
            throw ApiException.invalid("'prompt' must be a string", "prompt");
        }
        String text = prompt.asText();
        String id = "cmpl-" + UUID.randomUUID().toString().replace("-", "");
        run(exchange, request, id, "text_completion", session -> {
            GenerateOptions options = options(request, session);
            session.reset();
            return session.stream(text, options);
        }, () -> model.tokenizer().encode(text, model.tokenizer().vocabulary().addBos(), false).length, false);
    }

    private GenerateOptions options(JsonNode request, Session session) {
        return Requests.options(request, model.generateDefaults(), session.contextLength());
    }

    /**
     * Runs one generation in a session of the slots and answers with it, whole or streamed; with {@code withTools}
     * a stream comes once the generation ends (its text and its calls apart, as OpenAI streams them).
     */
    private void run(HttpExchange exchange, JsonNode request, String id, String object, Function<Session, TextStream> start,
            IntSupplier promptTokens, boolean withTools) throws IOException, InterruptedException {
        boolean stream = request.path("stream").asBoolean(false);
        boolean usage = request.path("stream_options").path("include_usage").asBoolean(false);
        Session session = slots.acquire();
        try (TextStream text = startOrRefuse(start, session)) {
            Response response = new Response(id, object, modelId, System.currentTimeMillis() / 1000);
            if (stream && !withTools) {
                streamTo(exchange, text, response, usage ? promptTokens.getAsInt() : -1);
                return;
            }
            Generation g = finished(text);
            if (stream) {
                streamWhole(exchange, g, response, usage ? promptTokens.getAsInt() : -1);
            } else {
                OpenAiServer.send(exchange, 200, response.whole(g, promptTokens.getAsInt()));
            }
        } finally {
            slots.release(session);
        }
    }

    /** Starts the generation; what the request asks and cannot have (a bad schema, a prompt too long) is a 400. */
    private static TextStream startOrRefuse(Function<Session, TextStream> start, Session session) {
        try {
            TextStream text = start.apply(session);
            text.hasNext(); // runs the prompt, so that its errors come before any byte of the response
            return text;
        } catch (InferjException | IllegalArgumentException e) {
            throw ApiException.invalid(e.getMessage(), null);
        }
    }

    private static void streamTo(HttpExchange exchange, TextStream text, Response response, int promptTokens) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        try {
            event(out, response.chunk("", true, null));
            while (text.hasNext()) {
                String piece = text.next();
                if (!piece.isEmpty()) {
                    event(out, response.chunk(piece, false, null));
                }
            }
            Generation g = text.result();
            event(out, response.chunk(null, false, finishReason(g)));
            if (promptTokens >= 0) {
                event(out, response.usageChunk(promptTokens, g.tokens().length));
            }
            out.write(OpenAiServer.utf8("data: [DONE]\n\n"));
            out.flush();
        } catch (IOException gone) {
            text.cancel(); // the client went away: stop generating for it
        }
    }

    /** Runs the generation to its end; a tool call the model ended malformed is the server's failure to honour the request. */
    private static Generation finished(TextStream text) {
        try {
            text.forEachRemaining(piece -> { });
            return text.result();
        } catch (InferjException e) {
            throw new ApiException(500, "server_error", e.getMessage(), null, "malformed_tool_call");
        }
    }

    /** A finished generation as a stream: its role, its text, its calls, its finish reason, its usage. */
    private static void streamWhole(HttpExchange exchange, Generation g, Response response, int promptTokens) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        event(out, response.chunk(g.text(), true, null));
        if (!g.toolCalls().isEmpty()) {
            ObjectNode calls = response.chunk(null, false, null);
            toolCalls(((ObjectNode) calls.get("choices").get(0).get("delta")).putArray("tool_calls"), g.toolCalls(), true);
            event(out, calls);
        }
        event(out, response.chunk(null, false, finishReason(g)));
        if (promptTokens >= 0) {
            event(out, response.usageChunk(promptTokens, g.tokens().length));
        }
        out.write(OpenAiServer.utf8("data: [DONE]\n\n"));
        out.flush();
    }

    /** OpenAI's tool_calls: {id, type: "function", function: {name, arguments as a JSON string}} (with an index in a stream). */
    private static void toolCalls(ArrayNode into, List<ChatMessage.ToolCall> calls, boolean indexed) {
        for (int i = 0; i < calls.size(); i++) {
            ChatMessage.ToolCall call = calls.get(i);
            ObjectNode c = into.addObject();
            if (indexed) {
                c.put("index", i);
            }
            try {
                c.put("id", call.id()).put("type", "function").putObject("function").put("name", call.name())
                        .put("arguments", Requests.JSON.writeValueAsString(call.arguments()));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static void event(OutputStream out, ObjectNode data) throws IOException {
        out.write(OpenAiServer.utf8("data: " + Requests.JSON.writeValueAsString(data) + "\n\n"));
        out.flush();
    }

    static String finishReason(Generation g) {
        return switch (g.stopReason()) {
            case MAX_TOKENS, CONTEXT_FULL -> "length";
            case TOOL_CALLS -> "tool_calls";
            default -> "stop";
        };
    }

    /** The JSON of one response, whole or in chunks, for a chat or a text completion. */
    private record Response(String id, String object, String model, long created) {
        private boolean chat() {
            return object.equals("chat.completion");
        }

        private ObjectNode head(String type) {
            return Requests.JSON.createObjectNode().put("id", id).put("object", type).put("created", created).put("model", model);
        }

        ObjectNode whole(Generation g, int promptTokens) {
            ObjectNode body = head(object);
            ObjectNode choice = body.putArray("choices").addObject().put("index", 0);
            if (chat()) {
                ObjectNode message = choice.putObject("message").put("role", "assistant");
                if (g.toolCalls().isEmpty() || !g.text().isEmpty()) {
                    message.put("content", g.text());
                } else {
                    message.putNull("content");
                }
                if (!g.toolCalls().isEmpty()) {
                    toolCalls(message.putArray("tool_calls"), g.toolCalls(), false);
                }
            } else {
                choice.put("text", g.text()).putNull("logprobs");
            }
            choice.put("finish_reason", finishReason(g));
            usage(body, promptTokens, g.tokens().length);
            return body;
        }

        /** A piece of text (null: none), the assistant's role with the first, or the finish reason with the last. */
        ObjectNode chunk(String text, boolean first, String finishReason) {
            ObjectNode body = head(chat() ? "chat.completion.chunk" : object);
            ObjectNode choice = body.putArray("choices").addObject().put("index", 0);
            if (chat()) {
                ObjectNode delta = choice.putObject("delta");
                if (first) {
                    delta.put("role", "assistant");
                }
                if (text != null) {
                    delta.put("content", text);
                }
            } else {
                choice.put("text", text == null ? "" : text).putNull("logprobs");
            }
            choice.put("finish_reason", finishReason);
            return body;
        }

        ObjectNode usageChunk(int promptTokens, int completionTokens) {
            ObjectNode body = head(chat() ? "chat.completion.chunk" : object);
            body.putArray("choices");
            usage(body, promptTokens, completionTokens);
            return body;
        }

        private static void usage(ObjectNode body, int promptTokens, int completionTokens) {
            body.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                    .put("total_tokens", promptTokens + completionTokens);
        }
    }
}
