package dev.inferj.cli;

import dev.inferj.GenerateOptions;
import dev.inferj.Generation;
import dev.inferj.Model;
import dev.inferj.ModelOptions;
import dev.inferj.Session;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code inferj generate}: streams the continuation of a prompt to stdout, a summary to stderr. */
@Command(name = "generate", description = "Generate text that continues a prompt.")
final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, description = "GGUF model file.")
    Path model;

    @Option(names = {"-p", "--prompt"}, required = true, description = "The prompt.")
    String prompt;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "256", description = "Most tokens to generate (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temp", defaultValue = "0.8", description = "Temperature; 0 is greedy (default ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-k", defaultValue = "40", description = "Top-k; 0 keeps all (default ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "0.95", description = "Top-p (default ${DEFAULT-VALUE}).")
    float topP;

    @Option(names = "--seed", description = "Random seed (default: random).")
    Long seed;

    @Option(names = {"-t", "--threads"}, description = "Threads (default: all processors).")
    Integer threads;

    @Option(names = {"-c", "--ctx-size"}, defaultValue = "0", description = "Context length (default: the model's, at most 4096).")
    int contextLength;

    @Override
    public Integer call() {
        ModelOptions modelOptions = ModelOptions.defaults().withContextLength(contextLength);
        if (threads != null) {
            modelOptions = modelOptions.withThreads(threads);
        }
        GenerateOptions options = GenerateOptions.defaults().withMaxTokens(maxTokens).withTemperature(temperature)
                .withTopK(topK).withTopP(topP);
        if (seed != null) {
            options = options.withSeed(seed);
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Model m = Model.load(model, modelOptions); Session session = m.newSession()) {
            Generation g = session.generate(prompt, options, (id, text) -> {
                out.print(text);
                out.flush();
            });
            out.println();
            out.flush();
            spec.commandLine().getErr().printf("prompt: %d tokens, %.1f t/s | generation: %d tokens, %.1f t/s | %s, %d threads%n",
                    g.timings().promptTokens(), g.timings().promptTokensPerSecond(),
                    g.timings().generatedTokens(), g.timings().generationTokensPerSecond(),
                    m.kernels(), modelOptions.threads());
        }
        return 0;
    }
}
