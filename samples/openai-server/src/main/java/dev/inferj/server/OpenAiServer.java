package dev.inferj.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.inferj.InferjException;
import dev.inferj.Model;
import dev.inferj.SessionOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An OpenAI-compatible HTTP API over one {@link Model}, on the JDK's HTTP server with a virtual thread per
 * request: {@code POST /v1/chat/completions} (streaming as server-sent events, {@code response_format} with a
 * JSON schema), {@code POST /v1/completions}, {@code GET /v1/models} and {@code GET /health}. Errors come in
 * OpenAI's JSON shape. The model stays the caller's: {@link #close()} stops the server and its sessions.
 */
public final class OpenAiServer implements AutoCloseable {
    private final Model model;
    private final ServerOptions options;
    private final HttpServer http;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final SessionSlots slots;
    private final Completions completions;
    private final long created = System.currentTimeMillis() / 1000;

    private OpenAiServer(Model model, ServerOptions options, SessionOptions sessionOptions) throws IOException {
        this.model = model;
        this.options = options;
        this.slots = new SessionSlots(model, sessionOptions, options.parallel(), options.queue());
        this.completions = new Completions(model, slots, options.modelId());
        this.http = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 0);
        http.setExecutor(executor);
        http.createContext("/", this::handle);
        http.start();
    }

    /**
     * Starts serving {@code model} as {@code options} say, each session as {@code sessionOptions} say.
     *
     * @throws InferjException when the address cannot be bound
     */
    public static OpenAiServer start(Model model, ServerOptions options, SessionOptions sessionOptions) {
        try {
            return new OpenAiServer(model, options, sessionOptions);
        } catch (IOException e) {
            throw new InferjException("cannot listen on " + options.host() + ":" + options.port() + ": " + e.getMessage(), e);
        }
    }

    /** The port it listens on (the one chosen when the options asked for 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** Cancels the running generations, stops listening once their responses end (within two seconds), closes the sessions. */
    @Override
    public void close() {
        slots.cancelAll();
        http.stop(2);
        executor.shutdownNow();
        slots.close();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            try {
                route(exchange);
            } catch (ApiException e) {
                sendError(exchange, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                sendError(exchange, new ApiException(503, "server_error", "the server is shutting down", null, null));
            } catch (RuntimeException e) {
                sendError(exchange, new ApiException(500, "server_error", String.valueOf(e.getMessage()), null, null));
            }
        }
    }

    private void route(HttpExchange exchange) throws IOException, InterruptedException {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        if (path.equals("/health")) {
            requireMethod(method, "GET");
            send(exchange, 200, Requests.JSON.createObjectNode().put("status", "ok"));
            return;
        }
        authorize(exchange);
        switch (path) {
            case "/v1/models" -> {
                requireMethod(method, "GET");
                ObjectNode list = Requests.JSON.createObjectNode().put("object", "list");
                list.putArray("data").addObject().put("id", options.modelId()).put("object", "model")
                        .put("created", created).put("owned_by", "inferj");
                send(exchange, 200, list);
            }
            case "/v1/chat/completions" -> {
                requireMethod(method, "POST");
                completions.chat(exchange, Requests.parse(body(exchange)));
            }
            case "/v1/completions" -> {
                requireMethod(method, "POST");
                completions.text(exchange, Requests.parse(body(exchange)));
            }
            default -> throw new ApiException(404, "invalid_request_error", "no such endpoint: " + method + " " + path,
                    null, "unknown_url");
        }
    }

    private static void requireMethod(String method, String expected) {
        if (!method.equals(expected)) {
            throw new ApiException(405, "invalid_request_error", "use " + expected + ", not " + method, null, "method_not_allowed");
        }
    }

    private void authorize(HttpExchange exchange) {
        if (options.apiKey() != null && !("Bearer " + options.apiKey()).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            throw new ApiException(401, "invalid_request_error", "a valid API key is required (Authorization: Bearer KEY)",
                    null, "invalid_api_key");
        }
    }

    /** The request body, refused (413) beyond the configured size whether or not it declares its length. */
    private byte[] body(HttpExchange exchange) throws IOException {
        int limit = options.maxRequestBytes();
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        if (declared != null && Long.parseLong(declared.trim()) > limit) {
            throw tooLarge(limit);
        }
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes(limit + 1);
            if (body.length > limit) {
                throw tooLarge(limit);
            }
            return body;
        }
    }

    private static ApiException tooLarge(int limit) {
        return new ApiException(413, "invalid_request_error", "the request body exceeds " + limit + " bytes", null,
                "request_too_large");
    }

    static void send(HttpExchange exchange, int status, ObjectNode body) throws IOException {
        byte[] bytes = Requests.JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void sendError(HttpExchange exchange, ApiException e) throws IOException {
        if (exchange.getResponseCode() != -1) {
            return; // a stream already under way: nothing more can be said
        }
        ObjectNode error = Requests.JSON.createObjectNode();
        error.putObject("error").put("message", e.getMessage()).put("type", e.type).put("param", e.param).put("code", e.code);
        send(exchange, e.status, error);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
