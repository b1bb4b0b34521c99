package dev.inferj.cli;

import dev.inferj.kernels.GgmlType;
import dev.inferj.model.ForgedModel;
import dev.inferj.model.ForgedModel.Shape;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code inferj forge}: writes a synthetic model of a named shape with deterministic random weights. */
@Command(name = "forge", description = {
        "Write a synthetic GGUF model of a named shape with deterministic random weights, loadable by "
                + "inferj and llama.cpp (architecture llama, SentencePiece-style vocabulary).",
        "Shapes: tiny, tiny-moe, small, mistral-7b, llama3-8b, mixtral-8x7b. Types: f32, f16, bf16, q8_0, q4_0."})
final class ForgeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--shape", required = true, paramLabel = "NAME", description = "The model shape.")
    String shape;

    @Option(names = "--type", required = true, paramLabel = "TYPE", description = "The weight type of the matrices.")
    String type;

    @Option(names = "--layers", paramLabel = "N", description = "Keep only the first N layers (default: the shape's).")
    Integer layers;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "S", description = "Seed of the weights (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Threads generating weights (default: all processors).")
    Integer threads;

    @Parameters(index = "0", paramLabel = "OUT.gguf", description = "The file to write.")
    Path out;

    @Override
    public Integer call() {
        Shape s;
        try {
            s = Shape.named(shape);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (layers != null) {
            if (layers < 1) {
                throw new ParameterException(spec.commandLine(), "--layers must be at least 1, was " + layers);
            }
            s = s.withBlockCount(layers);
        }
        GgmlType t = ForgedModel.TYPES.stream().filter(x -> x.name().equalsIgnoreCase(type)).findFirst()
                .orElseThrow(() -> new ParameterException(spec.commandLine(), "no type " + type + " (types: "
                        + ForgedModel.TYPES.stream().map(x -> x.name().toLowerCase(Locale.ROOT))
                                .collect(Collectors.joining(", ")) + ")"));
        int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (n < 1) {
            throw new ParameterException(spec.commandLine(), "--threads must be at least 1, was " + n);
        }
        ForgedModel model = ForgedModel.of(s, t, seed);
        long start = System.nanoTime();
        model.write(out, n);
        double seconds = (System.nanoTime() - start) / 1e9;
        PrintWriter err = spec.commandLine().getErr();
        long bytes;
        try {
            bytes = Files.size(out);
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": written but cannot be read back: " + e.getMessage(), e);
        }
        err.printf(Locale.ROOT, "wrote %s: %s, %d layers, %s, %s parameters, %s in %.1f s (%d threads)%n",
                out, s.name(), s.blockCount(), t, BenchCommand.parameters(s.parameterCount()), BenchCommand.bytes(bytes),
                seconds, n);
        err.flush();
        return 0;
    }
}
