package dev.inferj.jmh;

import dev.inferj.ggml.GgmlType;
import dev.inferj.kernels.ActivationFormat;
import dev.inferj.kernels.Kernels;
import dev.inferj.kernels.PreparedVector;
import dev.inferj.kernels.ScalarKernels;
import dev.inferj.kernels.TileLayout;
import dev.inferj.kernels.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
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
 * One matrix-vector product over a whole weight matrix, single-threaded: the scalar reference
 * against the Vector API kernels, side by side. Besides matVecs per second, the
 * {@code weightGigabytes} counter reports the weight bytes streamed per second (GB/s), the number
 * that compares across types. The setup refuses to measure when the two disagree.
 *
 * <p>Run: {@code java -jar jmh/target/benchmarks.jar KernelBenchmarks -p type=Q8_0 -p shape=4096x4096}
 * ({@code -p type=Q4_0/tiles} for the tiled layout the model loader uses for Q4_0 and Q8_0)
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class KernelBenchmarks {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A weight type; "/tiles" repacks the matrix into {@link TileLayout} first. */
    @Param({"Q8_0", "Q4_0", "Q8_0/tiles", "Q4_0/tiles", "Q2_K", "Q2_K/tiles", "Q3_K", "Q3_K/tiles", "Q4_K", "Q4_K/tiles", "Q5_K", "Q5_K/tiles", "Q6_K", "Q6_K/tiles", "Q4_1", "Q5_0", "Q5_1", "F16", "BF16", "F32"})
    public String type;

    /** Rows x columns: a 4096-wide model's attention projection, and its feed-forward up and gate. */
    @Param({"4096x4096", "14336x4096"})
    public String shape;

    private final Kernels scalar = new ScalarKernels();
    private Kernels vector;
    private Arena arena;
    private WeightMatrix weights;
    private PreparedVector x;
    private PreparedVector[] batch;
    private float[] out;
    private float[][] batchOut;

    /** Tokens in a prompt-processing batch (matMul). */
    private static final int BATCH = 32;

    /** Weight bytes read by the benchmark thread, reported per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Streamed {
        public double weightGigabytes;

        @Setup(Level.Iteration)
        public void reset() {
            weightGigabytes = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        vector = Kernels.get();
        if (!vector.name().startsWith("vector-")) {
            throw new IllegalStateException("the Vector API kernels are not in use (" + vector.name()
                    + "): run with --add-modules jdk.incubator.vector");
        }
        String[] rc = shape.split("x");
        int rows = Integer.parseInt(rc[0]);
        int cols = Integer.parseInt(rc[1]);
        boolean tiled = type.endsWith("/tiles");
        GgmlType t = GgmlType.valueOf(type.replace("/tiles", ""));
        SplittableRandom rnd = new SplittableRandom(42);
        arena = Arena.ofShared();
        weights = new WeightMatrix(type + " " + shape, t, randomWeights(t, rows, cols, rnd), rows, cols);
        if (tiled) {
            weights = TileLayout.repack(weights, arena.allocate(weights.data().byteSize(), 64));
        }
        batch = new PreparedVector[BATCH];
        for (int b = 0; b < BATCH; b++) {
            float[] activation = new float[cols];
            for (int i = 0; i < cols; i++) {
                activation[i] = (float) rnd.nextGaussian();
            }
            batch[b] = new PreparedVector(cols);
            vector.prepare(activation, 0, cols, ActivationFormat.of(t), batch[b]);
        }
        x = batch[0];
        out = new float[rows];
        batchOut = new float[BATCH][rows];
        checkAgreement();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float[] scalarMatVec(Streamed streamed) {
        scalar.matVec(weights, x, out, 0, 0, weights.rows());
        streamed.weightGigabytes += weights.data().byteSize() * 1e-9;
        return out;
    }

    @Benchmark
    public float[] vectorMatVec(Streamed streamed) {
        vector.matVec(weights, x, out, 0, 0, weights.rows());
        streamed.weightGigabytes += weights.data().byteSize() * 1e-9;
        return out;
    }

    /** A prompt-processing product of 32 tokens; the counter counts the weight bytes once per token, as 32 matVecs would. */
    @Benchmark
    public float[][] vectorMatMul(Streamed streamed) {
        vector.matMul(weights, batch, BATCH, batchOut, 0, 0, weights.rows());
        streamed.weightGigabytes += weights.data().byteSize() * 1e-9 * BATCH;
        return batchOut;
    }

    /**
     * Every row of the vector product within {@code 8 * sqrt(cols) * 2^-24 * sum|w_i * x_i|} of the
     * scalar one: they differ in the order of float additions only (the tolerance the kernels'
     * property tests use).
     */
    private void checkAgreement() {
        int rows = weights.rows();
        int cols = weights.cols();
        float[] expected = new float[rows];
        float[] actual = new float[rows];
        scalar.matVec(weights, x, expected, 0, 0, rows);
        vector.matVec(weights, x, actual, 0, 0, rows);
        float[] xs = activationValues();
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            scalar.dequantizeRow(weights, r, row, 0);
            double abs = 0;
            for (int i = 0; i < cols; i++) {
                abs += Math.abs((double) row[i] * xs[i]);
            }
            double tolerance = 8 * Math.sqrt(cols) * 0x1p-24 * abs + Float.MIN_NORMAL;
            if (!(Math.abs((double) actual[r] - expected[r]) <= tolerance)) {
                throw new IllegalStateException(vector.name() + " disagrees with scalar on " + weights.name()
                        + " row " + r + ": " + actual[r] + " vs " + expected[r] + " (tolerance " + tolerance + ")");
            }
        }
    }

    private float[] activationValues() {
        int cols = weights.cols();
        float[] v = new float[cols];
        for (int i = 0; i < cols; i++) {
            v[i] = switch (x.format()) {
                case Q8_0 -> x.quants()[i] * x.scales()[i / PreparedVector.Q8_BLOCK];
                case Q8_K -> x.quants()[i] * x.scales()[i / PreparedVector.Q8_K_BLOCK];
                default -> x.values()[i];
            };
        }
        return v;
    }

    /** Where a block keeps its F16 factors (scale, minimum). */
    private static int[] factorOffsets(GgmlType t) {
        return switch (t) {
            case Q4_1, Q5_1 -> new int[] {0, 2};
            case Q5_0 -> new int[] {0};
            default -> TileLayout.factorOffsets(t);
        };
    }

    private MemorySegment randomWeights(GgmlType t, int rows, int cols, SplittableRandom rnd) {
        long elements = (long) rows * cols;
        MemorySegment m = arena.allocate(t.byteSize(cols) * rows, 64);
        switch (t) {
            case F32 -> {
                for (long i = 0; i < elements; i++) {
                    m.set(F32, 4 * i, (float) (0.05 * rnd.nextGaussian()));
                }
            }
            case F16 -> {
                for (long i = 0; i < elements; i++) {
                    m.set(F16, 2 * i, Float.floatToFloat16((float) (0.05 * rnd.nextGaussian())));
                }
            }
            case BF16 -> {
                for (long i = 0; i < elements; i++) {
                    m.set(F16, 2 * i, (short) (Float.floatToRawIntBits((float) (0.05 * rnd.nextGaussian())) >>> 16));
                }
            }
            case Q8_0, Q4_0 -> {
                long blocks = elements / t.blockSize();
                int quantBytes = t.bytesPerBlock() - 2;
                byte[] quants = new byte[quantBytes];
                for (long b = 0; b < blocks; b++) {
                    long at = b * t.bytesPerBlock();
                    m.set(F16, at, Float.floatToFloat16((float) (0.001 + 0.002 * rnd.nextDouble())));
                    for (int i = 0; i < quantBytes; i++) {
                        quants[i] = (byte) rnd.nextInt(256);
                    }
                    MemorySegment.copy(quants, 0, m, ValueLayout.JAVA_BYTE, at + 2, quantBytes);
                }
            }
            case Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> {
                // random bytes, then small finite F16 factors where the block keeps them
                byte[] block = new byte[t.bytesPerBlock()];
                for (long at = 0; at < m.byteSize(); at += block.length) {
                    for (int i = 0; i < block.length; i++) {
                        block[i] = (byte) rnd.nextInt(256);
                    }
                    MemorySegment.copy(block, 0, m, ValueLayout.JAVA_BYTE, at, block.length);
                    for (int f : factorOffsets(t)) {
                        m.set(F16, at + f, Float.floatToFloat16((float) (0.001 + 0.002 * rnd.nextDouble())));
                    }
                }
            }
            default -> throw new IllegalArgumentException("no benchmark weights for " + t);
        }
        return m;
    }
}
