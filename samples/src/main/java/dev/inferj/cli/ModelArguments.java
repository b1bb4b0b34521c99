package dev.inferj.cli;

import dev.inferj.Model;
import dev.inferj.ModelOptions;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options of commands that load a model: which file, how many threads, how long a context. */
final class ModelArguments {
    @Option(names = {"-m", "--model"}, required = true, description = "GGUF model file.")
    Path model;

    @Option(names = {"-t", "--threads"}, description = "Threads (default: all processors).")
    Integer threads;

    @Option(names = {"-c", "--ctx-size"}, defaultValue = "0", description = "Context length (default: the model's, at most 4096).")
    int contextLength;

    ModelOptions options() {
        ModelOptions options = ModelOptions.defaults().withContextLength(contextLength);
        return threads == null ? options : options.withThreads(threads);
    }

    Model load() {
        return Model.load(model, options());
    }
}
