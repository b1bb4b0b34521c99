package dev.inferj.cli;

import dev.inferj.ChatMessage;
import dev.inferj.GenerateOptions;
import dev.inferj.Generation;
import dev.inferj.Model;
import dev.inferj.Session;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code inferj chat}: a conversation on stdin and stdout, one user message a line, each reply
 * streamed as it is generated and followed by a blank line.
 */
@Command(name = "chat", mixinStandardHelpOptions = true, description = "Chat with a model, one message a line on stdin, through its own chat template.")
final class ChatCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelArguments model;

    @Mixin
    SamplingArguments sampling;

    @Option(names = {"-s", "--system"}, description = "A system message to start the conversation with.")
    String system;

    /** Where the user's lines come from; tests replace it. */
    BufferedReader input = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<ChatMessage> conversation = new ArrayList<>();
        if (system != null) {
            conversation.add(ChatMessage.system(system));
        }
        try (Model m = model.load(); Session session = m.newSession(model.sessionOptions())) {
            model.applyAdapters(m, session);
            GenerateOptions options = sampling.options(m);
            if (!m.hasChatTemplate()) {
                throw new IllegalArgumentException(model.model + " has no chat template (tokenizer.chat_template); use generate");
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
