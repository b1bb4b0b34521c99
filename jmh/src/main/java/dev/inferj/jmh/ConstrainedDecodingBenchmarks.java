package dev.inferj.jmh;

import dev.inferj.GenerateOptions;
import dev.inferj.Generation;
import dev.inferj.Model;
import dev.inferj.ModelForge;
import dev.inferj.ModelOptions;
import dev.inferj.Session;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a JSON schema costs a whole generation: 64 tokens drawn at temperature 1 from the forged
 * {@code small} model (random weights, so the grammar refuses many draws: a worst case for the
 * constraint), with and without the schema. The score that counts is {@code generate:generated}:
 * generated tokens per second (the 5-token prompt's time included, the same in both); the ratio of the
 * two is the constraint's overhead on a decode step.
 *
 * <p>Run: {@code java -jar jmh/target/benchmarks.jar ConstrainedDecodingBenchmarks}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ConstrainedDecodingBenchmarks {
    private static final int TOKENS = 64;
    private static final String SCHEMA = """
            {"type":"object","properties":{"title":{"type":"string","maxLength":40},"summary":{"type":"string",
             "maxLength":120},"year":{"type":"integer","minimum":1900,"maximum":2100},"tags":{"type":"array",
             "items":{"type":"string","maxLength":12},"maxItems":4}},"required":["title","summary","year","tags"]}""";

    @Param({"none", "json-schema"})
    public String constraint;

    private Path file;
    private Model model;
    private GenerateOptions options;
    private long seed;

    @Setup
    public void setUp() throws IOException {
        file = Files.createTempFile("inferj-bench-small", ".gguf");
        ModelForge.of("small", "q4_0", 42).write(file, Runtime.getRuntime().availableProcessors());
        model = Model.load(file, ModelOptions.defaults().withContextLength(256));
        options = GenerateOptions.defaults().withTemperature(1f).withMaxTokens(TOKENS).withStopAtEndOfGeneration(false);
        if (constraint.equals("json-schema")) {
            options = options.withJsonSchema(SCHEMA);
        }
    }

    @TearDown
    public void tearDown() throws IOException {
        model.close();
        Files.deleteIfExists(file);
    }

    /** Generated tokens, counted as the operations of the benchmark. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Tokens {
        public long generated;

        @Setup(Level.Iteration)
        public void clear() {
            generated = 0;
        }
    }

    @Benchmark
    public Generation generate(Tokens counters) {
        try (Session s = model.newSession()) {
            Generation g = s.generate("Once upon a time", options.withSeed(seed++));
            counters.generated += g.tokens().length;
            return g;
        }
    }
}
