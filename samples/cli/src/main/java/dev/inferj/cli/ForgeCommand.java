package dev.inferj.cli;

import dev.inferj.ModelForge;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code inferj forge}: writes a synthetic model of a named shape with deterministic random weights. */
@Command(name = "forge", mixinStandardHelpOptions = true, description = {
        "Write a synthetic GGUF model of a named shape with deterministic random weights, loadable by "
                + "inferj and llama.cpp (architecture llama, SentencePiece-style vocabulary).",
        "Shapes: tiny, tiny-moe, small, mistral-7b, llama3-8b, mixtral-8x7b, falcon-7b.",
        "Types: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, q3_k, q4_k, q5_k, q6_k put every matrix in "
                + "that type, the output matrix included (as llama-quantize --pure; where a K-quant's 256 does not "
                + "divide a matrix's rows it falls back as llama.cpp does, Q4_K to Q5_0 and so on). The mixes "
                + "q3_k_s, q3_k_m, q3_k_l, q4_k_s, q4_k_m, q5_k_s, q5_k_m give each tensor the type llama-quantize "
                + "gives it in that mix: the same tensors as 'inferj quantize' of the f32 forge, made in one pass. "
                + "For llama-quantize's mixes of the plain types (q4_0 with a Q6_K output matrix, q2_k, ...), forge "
                + "f32 and run inferj quantize. "
                + "Norms and expert routers stay F32."})
final class ForgeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--shape", paramLabel = "NAME", description = "The model shape (required without --lora-rank).")
    String shape;

    @Option(names = "--type", paramLabel = "TYPE", description = "The weight type of every matrix, "
            + "or a quantization mix (see above; required without --lora-rank).")
    String type;

    @Option(names = "--lora-rank", paramLabel = "R", description = "Write instead a LoRA adapter of rank R for --base: F32 "
            + "factors on every attention and feed-forward matrix, alpha R.")
    Integer loraRank;

    @Option(names = "--base", paramLabel = "FILE", description = "The model a --lora-rank adapter is for.")
    Path base;

    @Option(names = "--layers", paramLabel = "N", description = "Keep only the first N layers (default: the shape's).")
    Integer layers;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "S", description = "Seed of the weights (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    ThreadCount threads;

    @Parameters(index = "0", paramLabel = "OUT.gguf", description = "The file to write.")
    Path out;

    @Override
    public Integer call() {
        if (loraRank != null) {
            if (base == null) {
                throw new ParameterException(spec.commandLine(), "--lora-rank needs --base FILE, the model the adapter is for");
            }
            ModelForge.writeLora(base, loraRank, seed, out);
            spec.commandLine().getErr().printf("wrote %s: a rank-%d LoRA adapter for %s%n", out, loraRank, base);
            spec.commandLine().getErr().flush();
            return 0;
        }
        if (shape == null || type == null) {
            throw new ParameterException(spec.commandLine(), "give --shape and --type (or --lora-rank and --base)");
        }
        ModelForge forge = Usage.lookUp(spec, () -> ModelForge.of(shape, type, seed));
        if (layers != null) {
            if (layers < 1) {
                throw new ParameterException(spec.commandLine(), "--layers must be at least 1, was " + layers);
            }
            forge = forge.withLayers(layers);
        }
        int n = threads.resolve(spec);
        long start = System.nanoTime();
        forge.write(out, n);
        double seconds = (System.nanoTime() - start) / 1e9;
        PrintWriter err = spec.commandLine().getErr();
        long bytes;
        try {
            bytes = Files.size(out);
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": written but cannot be read back: " + e.getMessage(), e);
        }
        err.printf(Locale.ROOT, "wrote %s: %s, %d layers, %s, %s parameters, %s in %.1f s (%d threads)%n",
                out, forge.shape(), forge.layers(), forge.typeDescription(), BenchCommand.parameters(forge.parameterCount()),
                BenchCommand.bytes(bytes), seconds, n);
        err.flush();
        return 0;
    }
}
