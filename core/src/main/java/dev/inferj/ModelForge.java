package dev.inferj;

import dev.inferj.kernels.GgmlType;
import dev.inferj.model.ForgedModel;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Writes GGUF models with deterministic random weights in the shapes of real models (as {@code inferj forge}
 * does): for tests of what surrounds a model, and for benchmarks. Their text is noise; llama.cpp loads them too.
 */
public final class ModelForge {
    private ModelForge() {
    }

    /**
     * Writes a model of {@code shape} (tiny, tiny-moe, small, mistral-7b, llama3-8b, mixtral-8x7b, falcon-7b) with every
     * matrix in {@code type} (f32, f16, bf16, q8_0, q4_0, ... as {@code inferj forge --type}) to {@code out}.
     *
     * @throws IllegalArgumentException for an unknown shape or type
     */
    public static void write(String shape, String type, long seed, Path out) {
        GgmlType t = ForgedModel.TYPES.stream().filter(x -> x.name().equalsIgnoreCase(type)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no weight type " + type + " to forge (types: "
                        + ForgedModel.TYPES.stream().map(x -> x.name().toLowerCase(Locale.ROOT)).toList() + ")"));
        ForgedModel.of(ForgedModel.Shape.named(shape), t, seed).write(out, 1);
    }
}
