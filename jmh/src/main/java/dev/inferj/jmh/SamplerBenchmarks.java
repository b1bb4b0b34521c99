package dev.inferj.jmh;

import dev.inferj.GenerateOptions;
import dev.inferj.sampling.SamplerChain;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The sampler chain's cost per token at a Llama 2 (32k) and a Llama 3 (128k) vocabulary: greedy,
 * llama.cpp's defaults (top-k 40, top-p 0.95, min-p 0.05, temperature 0.8), and every sampler on
 * at once (penalties over 64 tokens, DRY over 512, top-k off, typical-p, XTC), after a 512-token history.
 *
 * <p>Run: {@code java -jar jmh/target/benchmarks.jar SamplerBenchmarks}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SamplerBenchmarks {

    @Param({"32000", "128256"})
    public int vocabulary;

    @Param({"greedy", "defaults", "everything"})
    public String chain;

    private float[] logits;
    private int[] history;
    private SamplerChain sampler;

    @Setup
    public void setUp() {
        SplittableRandom r = new SplittableRandom(42);
        logits = new float[vocabulary];
        for (int i = 0; i < vocabulary; i++) {
            logits[i] = (float) (r.nextDouble() * r.nextDouble() * 20 - 5);
        }
        history = r.ints(512, 0, vocabulary).toArray();
        GenerateOptions defaults = GenerateOptions.defaults().withSeed(7);
        GenerateOptions options = switch (chain) {
            case "greedy" -> defaults.withTemperature(0f);
            case "defaults" -> defaults;
            case "everything" -> defaults.withTopK(0).withTypicalP(0.95f).withRepeatPenalty(1.1f).withFrequencyPenalty(0.1f)
                    .withPresencePenalty(0.1f).withDry(GenerateOptions.Dry.OFF.withMultiplier(0.8f)).withXtc(0.5f, 0.1f);
            default -> throw new IllegalArgumentException(chain);
        };
        sampler = new SamplerChain(options, vocabulary, id -> "t" + id);
    }

    @Benchmark
    public int sample() {
        return sampler.sample(logits, history, history.length);
    }
}
