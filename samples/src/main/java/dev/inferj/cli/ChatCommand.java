package dev.inferj.cli;

import dev.inferj.ChatMessage;
import dev.inferj.GenerateOptions;
import dev.inferj.Generation;
import dev.inferj.Model;
import dev.inferj.ModelOptions;
import dev.inferj.Session;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code inferj chat}: a conversation on stdin and stdout, one user message a line, each reply
 * streamed as it is generated and followed by a blank line.
 */
@Command(name = "chat", description = "Chat with a model, one message a line on stdin, through its own chat template.")
final class ChatCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, description = "GGUF model file with a chat template.")
    Path model;

    @Option(names = {"-s", "--system"}, description = "A system message to start the conversation with.")
    String system;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "512", description = "Most tokens a reply has (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temp", defaultValue = "0.8", description = "Temperature; 0 is greedy (default ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--seed", description = "Random seed (default: random).")
    Long seed;

    @Option(names = {"-t", "--threads"}, description = "Threads (default: all processors).")
    Integer threads;

    @Option(names = {"-c", "--ctx-size"}, defaultValue = "0", description = "Context length (default: the model's, at most 4096).")
    int contextLength;

    /** Where the user's lines come from; tests replace it. */
    BufferedReader input = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

    @Override
    public Integer call() {
        ModelOptions modelOptions = ModelOptions.defaults().withContextLength(contextLength);
        if (threads != null) {
            modelOptions = modelOptions.withThreads(threads);
        }
        GenerateOptions options = GenerateOptions.defaults().withMaxTokens(maxTokens).withTemperature(temperature);
        if (seed != null) {
            options = options.withSeed(seed);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<ChatMessage> conversation = new ArrayList<>();
        if (system != null) {
            conversation.add(ChatMessage.system(system));
        }
        try (Model m = Model.load(model, modelOptions); Session session = m.newSession()) {
            if (!m.hasChatTemplate()) {
                throw new IllegalArgumentException(model + " has no chat template (tokenizer.chat_template); use generate");
            }
            String line;
            while ((line = readLine(err)) != null) {
                if (line.isBlank()) {
                    continue;
                }
                conversation.add(ChatMessage.user(line));
                Generation reply = session.chat(conversation, options, (id, text) -> {
                    out.print(text);
                    out.flush();
                });
                conversation.add(ChatMessage.assistant(reply.text()));
                out.println();
                out.println();
                out.flush();
            }
        }
        return 0;
    }

    private String readLine(PrintWriter err) {
        err.print("> ");
        err.flush();
        try {
            return input.readLine();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
