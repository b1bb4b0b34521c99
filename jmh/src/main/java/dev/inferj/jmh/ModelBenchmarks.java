package dev.inferj.jmh;

import dev.inferj.Model;
import dev.inferj.ModelForge;
import dev.inferj.ModelOptions;
import dev.inferj.Session;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Whole forward passes on a forged model of a real shape (a shortened Mistral 7B by default):
 * one decode step, and the prefill of a 128-token prompt. Scores are tokens per second. With
 * {@code -prof gc}, {@code gc.alloc.rate.norm} of {@code decodeStep} is the bytes allocated
 * per decoded token.
 *
 * <p>Run: {@code java -jar jmh/target/benchmarks.jar ModelBenchmarks -p type=Q4_0 -prof gc}
 * ({@code -p layers=32} for the whole model: a 3.8 GiB file forged into the temporary directory).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ModelBenchmarks {

    private static final int PROMPT = 128;
    /** Decode steps run from position 1 to this one, then the session starts over. */
    private static final int DECODE_CONTEXT = 256;

    @Param({"Q4_0", "Q8_0"})
    public String type;

    @Param("mistral-7b")
    public String shape;

    @Param("4")
    public int layers;

    /** Threads for the kernels; 0 means all processors. */
    @Param("0")
    public int threads;

    /** Tile Q4_0 and Q8_0 weights at load (as {@link ModelOptions#defaults()} does). */
    @Param("true")
    public boolean tiles;

    private Path file;
    private Model model;
    private Session decode;
    private Session prefill;
    private final int[] token = new int[1];
    private int[] prompt;
    private float[] logits;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        file = Files.createTempFile("inferj-bench-" + shape + "-" + type, ".gguf");
        ModelForge.of(shape, type, 42).withLayers(layers).write(file, Runtime.getRuntime().availableProcessors());
        ModelOptions options = ModelOptions.defaults().withContextLength(DECODE_CONTEXT).withTileWeights(tiles);
        model = Model.load(file, threads > 0 ? options.withThreads(threads) : options);
        decode = model.newSession();
        prefill = model.newSession();
        logits = new float[model.info().vocabularySize()];
        SplittableRandom random = new SplittableRandom(7);
        prompt = new int[PROMPT];
        for (int i = 0; i < PROMPT; i++) {
            prompt[i] = random.nextInt(logits.length);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        decode.close();
        prefill.close();
        model.close();
        Files.deleteIfExists(file);
    }

    /** One token through the whole model, at positions 0 to 255 over and over. */
    @Benchmark
    public float[] decodeStep() {
        if (decode.position() == DECODE_CONTEXT) {
            decode.reset();
        }
        token[0] = argmaxOrFirst();
        return decode.evaluate(token, logits);
    }

    /** A 128-token prompt into an empty session; the score is prompt tokens per second. */
    @Benchmark
    @OperationsPerInvocation(PROMPT)
    public float[] prefill128() {
        prefill.reset();
        return prefill.evaluate(prompt, logits);
    }

    /** The next token as greedy decoding would choose it (the first step after a reset feeds token 1). */
    private int argmaxOrFirst() {
        if (decode.position() == 0) {
            return 1;
        }
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
