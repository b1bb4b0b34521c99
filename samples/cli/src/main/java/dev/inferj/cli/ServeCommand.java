package dev.inferj.cli;

import dev.inferj.Model;
import dev.inferj.server.OpenAiServer;
import dev.inferj.server.ServerOptions;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code inferj serve}: an OpenAI-compatible HTTP API over one model until the process is stopped (SIGTERM, Ctrl-C). */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve the OpenAI API (/v1/chat/completions, /v1/completions, /v1/models, /health) over a model.")
final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelArguments model;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}, this machine only).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port (default: ${DEFAULT-VALUE}; 0: any free one, printed).")
    int port;

    @Option(names = "--api-key", paramLabel = "KEY", description = "Require 'Authorization: Bearer KEY' (default: none).")
    String apiKey;

    @Option(names = "--parallel", defaultValue = "1", paramLabel = "N",
            description = "Generations at once, each in its own session; as many more (at least 8) may wait, then 429 (default: ${DEFAULT-VALUE}).")
    int parallel;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        String id = model.model.getFileName().toString().replaceFirst("\\.gguf$", "");
        ServerOptions options = ServerOptions.defaults(id).withHost(host).withPort(port).withApiKey(apiKey).withParallel(parallel);
        Model m = model.load();
        OpenAiServer server;
        try {
            server = OpenAiServer.start(m, options, model.sessionOptions());
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            m.close();
            stopped.countDown();
        }, "inferj-shutdown"));
        err.printf("inferj: serving %s on http://%s:%d (Ctrl-C or SIGTERM stops)%n", id, host, server.port());
        err.flush();
        stopped.await();
        return 0;
    }
}
