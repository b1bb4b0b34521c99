package dev.inferj.cli;

import dev.inferj.KvCacheType;
import dev.inferj.LoraAdapter;
import dev.inferj.Model;
import dev.inferj.ModelOptions;
import dev.inferj.Session;
import dev.inferj.SessionOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The options of commands that load a model: which file, how many threads, how long a context, which KV cache. */
final class ModelArguments {
    @Option(names = {"-m", "--model"}, required = true, description = "GGUF model file.")
    Path model;

    @Option(names = {"-t", "--threads"}, description = "Threads (default: all processors).")
    Integer threads;

    @Option(names = {"-c", "--ctx-size"}, defaultValue = "0", description = "Context length (default: the model's, at most 4096).")
    int contextLength;

    @Option(names = "--no-tiles", description = "Compute on the Q4_0 and Q8_0 weights as the file lays them out: "
            + "a faster load, slower products (default: tile them at load).")
    boolean noTiles;

    @Option(names = "--tile-cache", paramLabel = "DIR", description = "Keep the tiled weights in DIR, so that the next "
            + "load of the same file maps them instead of tiling again (a file as large as the model).")
    Path tileCache;

    @Option(names = "--kv-type", paramLabel = "TYPE", defaultValue = "f16", converter = KvTypes.class,
            description = "How the KV cache holds keys and values: f32, f16 or q8_0 (53%% of f16's memory) (default: ${DEFAULT-VALUE}).")
    KvCacheType kvType;

    /** Reads f32, f16 or q8_0 (any case) as a {@link KvCacheType}. */
    static final class KvTypes implements CommandLine.ITypeConverter<KvCacheType> {
        @Override
        public KvCacheType convert(String value) {
            for (KvCacheType type : KvCacheType.values()) {
                if (type.name().equalsIgnoreCase(value)) {
                    return type;
                }
            }
            throw new CommandLine.TypeConversionException("'" + value + "' is not a KV cache type (f32, f16 or q8_0)");
        }
    }

    @Option(names = "--lora", paramLabel = "FILE", description = "Apply this LoRA adapter at scale 1 (repeatable).")
    List<Path> lora = new ArrayList<>();

    @Option(names = "--lora-scaled", arity = "2", paramLabel = "FILE SCALE",
            description = "Apply this LoRA adapter at SCALE, negative too (repeatable).")
    List<String> loraScaled = new ArrayList<>();

    /** Loads the adapters the options name into {@code model} and applies them to {@code session}. */
    void applyAdapters(Model model, Session session) {
        List<LoraAdapter.Scaled> adapters = new ArrayList<>();
        for (Path p : lora) {
            adapters.add(model.loadAdapter(p).scaled(1f));
        }
        for (int i = 0; i + 1 < loraScaled.size(); i += 2) {
            float scale;
            try {
                scale = Float.parseFloat(loraScaled.get(i + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--lora-scaled " + loraScaled.get(i) + ": '" + loraScaled.get(i + 1) + "' is not a scale");
            }
            adapters.add(model.loadAdapter(Path.of(loraScaled.get(i))).scaled(scale));
        }
        if (!adapters.isEmpty()) {
            session.setAdapters(adapters);
        }
    }

    SessionOptions sessionOptions() {
        return SessionOptions.defaults().withCacheType(kvType);
    }

    ModelOptions options() {
        ModelOptions options = ModelOptions.defaults().withContextLength(contextLength).withTileWeights(!noTiles)
                .withTileCache(tileCache);
        return threads == null ? options : options.withThreads(threads);
    }

    Model load() {
        return Model.load(model, options());
    }
}
