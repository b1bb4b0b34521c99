package dev.inferj.cli;

import dev.inferj.GenerateOptions;
import picocli.CommandLine.Option;

/** The options of commands that generate: how many tokens and how they are picked. */
final class SamplingArguments {
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

    GenerateOptions options() {
        GenerateOptions options = GenerateOptions.defaults().withMaxTokens(maxTokens).withTemperature(temperature)
                .withTopK(topK).withTopP(topP);
        return seed == null ? options : options.withSeed(seed);
    }
}
