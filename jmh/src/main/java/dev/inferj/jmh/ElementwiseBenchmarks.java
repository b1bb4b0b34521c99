package dev.inferj.jmh;

import dev.inferj.kernels.ActivationFormat;
import dev.inferj.kernels.Kernels;
import dev.inferj.kernels.PreparedVector;
import dev.inferj.kernels.ScalarKernels;
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
 * The per-activation kernels a forward pass runs between its matrix products, scalar reference
 * against Vector API, on a 4096-wide model's hidden state and a 14336-wide feed-forward: swiGlu
 * (its exp), rmsNorm, the Q8_0 quantization of an activation ({@code prepare}), a float dot
 * product and softmax (scalar in both). The setup refuses to measure when swiGlu, rmsNorm or dot
 * disagree beyond the property tests' tolerances; the quantization's agreement is left to those tests.
 *
 * <p>Run: {@code java -jar jmh/target/benchmarks.jar ElementwiseBenchmarks -p n=14336}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ElementwiseBenchmarks {

    @Param({"4096", "14336"})
    public int n;

    @Param({"scalar", "vector"})
    public String kernels;

    private Kernels k;
    private float[] gate;
    private float[] up;
    private float[] work;
    private float[] weight;
    private float[] out;
    private PreparedVector prepared;

    @Setup
    public void setUp() {
        Kernels vector = Kernels.get();
        if (!vector.name().startsWith("vector-")) {
            throw new IllegalStateException("the Vector API kernels are not in use (" + vector.name()
                    + "): run with --add-modules jdk.incubator.vector");
        }
        Kernels scalar = new ScalarKernels();
        k = kernels.equals("vector") ? vector : scalar;
        SplittableRandom rnd = new SplittableRandom(42);
        gate = new float[n];
        up = new float[n];
        weight = new float[n];
        for (int i = 0; i < n; i++) {
            gate[i] = (float) (4 * rnd.nextGaussian());
            up[i] = (float) rnd.nextGaussian();
            weight[i] = (float) (1 + 0.1 * rnd.nextGaussian());
        }
        work = new float[n];
        out = new float[n];
        prepared = new PreparedVector(n);
        checkAgreement(scalar, vector);
    }

    private void checkAgreement(Kernels scalar, Kernels vector) {
        float[] expected = gate.clone();
        float[] actual = gate.clone();
        scalar.swiGlu(expected, up, n);
        vector.swiGlu(actual, up, n);
        for (int i = 0; i < n; i++) {
            if (Math.abs(expected[i] - actual[i]) > 1e-6f * Math.abs(expected[i]) + Float.MIN_NORMAL) {
                throw new IllegalStateException("swiGlu disagrees at " + i + ": " + expected[i] + " vs " + actual[i]);
            }
        }
        float[] normExpected = new float[n];
        float[] normActual = new float[n];
        scalar.rmsNorm(gate, 0, weight, normExpected, 0, n, 1e-5f);
        vector.rmsNorm(gate, 0, weight, normActual, 0, n, 1e-5f);
        for (int i = 0; i < n; i++) {
            if (Math.abs(normExpected[i] - normActual[i]) > 1e-6f * Math.abs(normExpected[i]) + Float.MIN_NORMAL) {
                throw new IllegalStateException("rmsNorm disagrees at " + i + ": " + normExpected[i] + " vs " + normActual[i]);
            }
        }
        float d = scalar.dot(gate, 0, up, 0, n);
        float v = vector.dot(gate, 0, up, 0, n);
        if (Math.abs(d - v) > 1e-4f * n) {
            throw new IllegalStateException("dot disagrees: " + d + " vs " + v);
        }
    }

    @Benchmark
    public float[] swiGlu() {
        System.arraycopy(gate, 0, work, 0, n);
        k.swiGlu(work, up, n);
        return work;
    }

    @Benchmark
    public float[] rmsNorm() {
        k.rmsNorm(gate, 0, weight, out, 0, n, 1e-5f);
        return out;
    }

    @Benchmark
    public PreparedVector quantizeQ8_0() {
        k.prepare(gate, 0, n, ActivationFormat.Q8_0, prepared);
        return prepared;
    }

    @Benchmark
    public float dot() {
        return k.dot(gate, 0, up, 0, n);
    }

    @Benchmark
    public float[] softmax() {
        System.arraycopy(gate, 0, work, 0, n);
        k.softmax(work, 0, n);
        return work;
    }
}
