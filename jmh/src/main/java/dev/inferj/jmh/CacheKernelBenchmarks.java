package dev.inferj.jmh;

import dev.inferj.kernels.ActivationFormat;
import dev.inferj.ggml.GgmlType;
import dev.inferj.kernels.Kernels;
import dev.inferj.kernels.PreparedVector;
import dev.inferj.kernels.ScalarKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
 * The attention's inner loops over a KV cache of each type ({@code --kv-type}), one head of 128 values
 * against {@code positions} cached rows: {@code scores} dots the query with every key, {@code values} adds
 * every value row weighted by a probability. Scalar reference against Vector API. The {@code FourQueries}
 * variants do a prompt's work for four queries: F16 through the four-query kernels, each key and value converted
 * once; the other types four calls a row, as the attention makes them.
 *
 * <p>Run: {@code java -jar jmh/target/benchmarks.jar CacheKernelBenchmarks}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class CacheKernelBenchmarks {
    private static final int HEAD = 128;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Param({"F32", "F16", "Q8_0"})
    public String type;

    @Param({"scalar", "vector"})
    public String kernels;

    @Param("2048")
    public int positions;

    private Kernels k;
    private Arena arena;
    private MemorySegment rows;
    private long rowBytes;
    private PreparedVector query;
    private float[] probabilities;
    private float[] sums;
    private float[] fourSums;
    private float[] dots;

    @Setup(Level.Trial)
    public void setUp() {
        Kernels vector = Kernels.get();
        if (!vector.name().startsWith("vector-")) {
            throw new IllegalStateException("the Vector API kernels are not in use (" + vector.name()
                    + "): run with --add-modules jdk.incubator.vector");
        }
        k = kernels.equals("vector") ? vector : new ScalarKernels();
        SplittableRandom rnd = new SplittableRandom(7);
        rowBytes = switch (type) {
            case "F32" -> 4L * HEAD;
            case "F16" -> 2L * HEAD;
            default -> GgmlType.Q8_0.byteSize(HEAD);
        };
        arena = Arena.ofConfined();
        rows = arena.allocate(rowBytes * positions, 64);
        float[] row = new float[HEAD];
        PreparedVector quantized = new PreparedVector(HEAD);
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < HEAD; i++) {
                row[i] = (float) rnd.nextGaussian();
            }
            switch (type) {
                case "F32" -> MemorySegment.copy(row, 0, rows, F32, p * rowBytes, HEAD);
                case "F16" -> k.storeF16(row, 0, rows, p * rowBytes, HEAD);
                default -> {
                    k.prepare(row, 0, HEAD, ActivationFormat.Q8_0, quantized);
                    quantized.writeQ8_0(rows, p * rowBytes);
                }
            }
        }
        float[] q = new float[HEAD];
        for (int i = 0; i < HEAD; i++) {
            q[i] = (float) rnd.nextGaussian();
        }
        query = new PreparedVector(HEAD);
        k.prepare(q, 0, HEAD, switch (type) {
            case "F32" -> ActivationFormat.F32;
            case "F16" -> ActivationFormat.F16;
            default -> ActivationFormat.Q8_0;
        }, query);
        probabilities = new float[positions];
        for (int p = 0; p < positions; p++) {
            probabilities[p] = (float) rnd.nextDouble() / positions;
        }
        sums = new float[HEAD];
        fourSums = new float[4 * HEAD];
        dots = new float[4];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float scores() {
        float best = Float.NEGATIVE_INFINITY;
        for (int p = 0; p < positions; p++) {
            float dot = switch (type) {
                case "F32" -> k.dotF32(rows, p * rowBytes, query.values(), 0, HEAD);
                case "F16" -> k.dotF16(rows, p * rowBytes, query.values(), 0, HEAD);
                default -> k.dotQ8_0(rows, p * rowBytes, query, 0, HEAD);
            };
            best = Math.max(best, dot);
        }
        return best;
    }

    @Benchmark
    public float[] values() {
        java.util.Arrays.fill(sums, 0f);
        for (int p = 0; p < positions; p++) {
            switch (type) {
                case "F32" -> k.axpyF32(probabilities[p], rows, p * rowBytes, sums, 0, HEAD);
                case "F16" -> k.axpyF16(probabilities[p], rows, p * rowBytes, sums, 0, HEAD);
                default -> k.axpyQ8_0(probabilities[p], rows, p * rowBytes, sums, 0, HEAD);
            }
        }
        return sums;
    }

    @Benchmark
    public float scoresFourQueries() {
        float[] x = query.values();
        float best = Float.NEGATIVE_INFINITY;
        for (int p = 0; p < positions; p++) {
            if (type.equals("F16")) {
                k.dotF16x4(rows, p * rowBytes, x, x, x, x, 0, HEAD, dots, 0);
            } else {
                for (int q = 0; q < 4; q++) {
                    dots[q] = type.equals("F32") ? k.dotF32(rows, p * rowBytes, x, 0, HEAD) : k.dotQ8_0(rows, p * rowBytes, query, 0, HEAD);
                }
            }
            best = Math.max(best, Math.max(Math.max(dots[0], dots[1]), Math.max(dots[2], dots[3])));
        }
        return best;
    }

    @Benchmark
    public float[] valuesFourQueries() {
        java.util.Arrays.fill(fourSums, 0f);
        for (int p = 0; p < positions; p++) {
            float a = probabilities[p];
            if (type.equals("F16")) {
                k.axpyF16x4(rows, p * rowBytes, HEAD, a, a * 0.5f, a * 0.25f, a * 2f, fourSums, 0, HEAD, 2 * HEAD, 3 * HEAD);
            } else {
                for (int q = 0; q < 4; q++) {
                    if (type.equals("F32")) {
                        k.axpyF32(a, rows, p * rowBytes, fourSums, q * HEAD, HEAD);
                    } else {
                        k.axpyQ8_0(a, rows, p * rowBytes, fourSums, q * HEAD, HEAD);
                    }
                }
            }
        }
        return fourSums;
    }
}
