package dev.inferj.server;

/**
 * How an {@link OpenAiServer} listens and admits work.
 *
 * @param host            the address to bind; loopback unless asked otherwise
 * @param port            the port (0: any free one, see {@link OpenAiServer#port()})
 * @param apiKey          the bearer token every request must carry, or null for none
 * @param parallel        generations running at once, each in its own session
 * @param queue           requests that may wait for a session; beyond them a request gets 429
 * @param maxRequestBytes the largest request body accepted; a larger one gets 413
 * @param modelId         the model's name in {@code /v1/models} and in responses
 */
public record ServerOptions(String host, int port, String apiKey, int parallel, int queue, int maxRequestBytes, String modelId) {

    public ServerOptions {
        if (parallel < 1) {
            throw new IllegalArgumentException("parallel must be at least 1, was " + parallel);
        }
        if (queue < 0) {
            throw new IllegalArgumentException("queue must not be negative, was " + queue);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in [0, 65535], was " + port);
        }
        if (maxRequestBytes < 1024) {
            throw new IllegalArgumentException("maxRequestBytes must be at least 1024, was " + maxRequestBytes);
        }
    }

    /** Loopback, port 8080, no key, one generation at a time and eight waiting, bodies up to 4 MiB. */
    public static ServerOptions defaults(String modelId) {
        return new ServerOptions("127.0.0.1", 8080, null, 1, 8, 4 << 20, modelId);
    }

    public ServerOptions withHost(String host) {
        return new ServerOptions(host, port, apiKey, parallel, queue, maxRequestBytes, modelId);
    }

    public ServerOptions withPort(int port) {
        return new ServerOptions(host, port, apiKey, parallel, queue, maxRequestBytes, modelId);
    }

    public ServerOptions withApiKey(String apiKey) {
        return new ServerOptions(host, port, apiKey, parallel, queue, maxRequestBytes, modelId);
    }

    /** {@code parallel} generations at once, and as many again (at least eight) waiting. */
    public ServerOptions withParallel(int parallel) {
        return new ServerOptions(host, port, apiKey, parallel, Math.max(8, parallel), maxRequestBytes, modelId);
    }

    public ServerOptions withQueue(int queue) {
        return new ServerOptions(host, port, apiKey, parallel, queue, maxRequestBytes, modelId);
    }

    public ServerOptions withMaxRequestBytes(int maxRequestBytes) {
        return new ServerOptions(host, port, apiKey, parallel, queue, maxRequestBytes, modelId);
    }
}
