package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.inferj.kernels.KernelAgreement.Values;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vector kernels give the same bits before C2 compiles them as after: a model's output must
 * not depend on how warm the JVM is. A child JVM run with {@code -Xint} (every vector operation
 * through the Vector API's Java fallback) prints a digest of the kernels' outputs on fixed inputs,
 * which must equal the digest this JVM computes once the kernels are compiled.
 */
class InterpretedBitsTest {

    @Test
    void interpretedAndCompiledKernelsGiveTheSameBits(@TempDir Path dir) throws IOException, InterruptedException {
        Kernels k = Kernels.get();
        long compiled = 0;
        for (int i = 0; i < 300; i++) { // enough calls for C2 to compile the kernels
            compiled = digest(k);
        }
        String output = ChildJvm.run(dir, InterpretedBitsTest.class, "--add-modules", "jdk.incubator.vector", "-Xint");
        assertEquals(k.name() + " " + Long.toHexString(compiled), output.lines().reduce((a, b) -> b).orElse(""), output);
    }

    /** Prints this JVM's kernels and their digest. */
    public static void main(String[] args) {
        Kernels k = Kernels.get();
        System.out.println(k.name() + " " + Long.toHexString(digest(k)));
    }

    /** A hash of the bits every float-producing kernel writes on fixed inputs, with tails at each width. */
    static long digest(Kernels k) {
        Random rnd = new Random(5);
        long h = 17;
        for (int n : List.of(7, 100, 1056)) {
            float[] a = KernelAgreement.values(rnd, Values.GAUSSIAN, n);
            float[] b = KernelAgreement.values(rnd, Values.WIDE, n);
            h = mix(h, k.dot(a, 0, b, 0, n));
            float[] out = new float[n];
            k.rmsNorm(a, 0, b, out, 0, n, 1e-5f);
            h = mix(h, out);
            float[] gate = a.clone();
            for (int i = 0; i < n; i += 5) {
                gate[i] *= 30f; // far into exp's tails
            }
            k.swiGlu(gate, b, n);
            h = mix(h, gate);
            float[] soft = b.clone();
            k.softmax(soft, 0, n);
            h = mix(h, soft);
            try (Arena arena = Arena.ofConfined()) {
                for (ActivationFormat f : ActivationFormat.values()) {
                    PreparedVector p = new PreparedVector(n);
                    k.prepare(a, 0, n, f, p);
                    h = mix(h, p.values());
                }
                var f16 = arena.allocate(2L * n, 64);
                k.storeF16(b, 0, f16, 0, n);
                h = mix(h, k.dotF16(f16, 0, a, 0, n));
                float[] y = b.clone();
                k.axpyF16(0.37f, f16, 0, y, 0, n);
                h = mix(h, y);
            }
        }
        for (GgmlType t : List.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0,
                GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K,
                GgmlType.Q6_K)) {
            int rows = 64;
            int cols = t.blockSize() == 256 ? 1280 : 1056;
            try (Arena arena = Arena.ofConfined()) {
                WeightMatrix w = KernelAgreement.weights(arena, t, rows, cols, rnd);
                PreparedVector x = new PreparedVector(cols);
                k.prepare(KernelAgreement.values(rnd, Values.GAUSSIAN, cols), 0, cols, ActivationFormat.of(t), x);
                float[] out = new float[rows];
                k.matVec(w, x, out, 0, 0, rows);
                h = mix(h, out);
                PreparedVector[] batch = new PreparedVector[3];
                float[][] batchOut = new float[batch.length][rows];
                for (int b = 0; b < batch.length; b++) {
                    batch[b] = new PreparedVector(cols);
                    k.prepare(KernelAgreement.values(rnd, Values.GAUSSIAN, cols), 0, cols, ActivationFormat.of(t), batch[b]);
                }
                k.matMul(w, batch, batch.length, batchOut, 0, 0, rows);
                for (float[] o : batchOut) {
                    h = mix(h, o);
                }
                if (TileLayout.supports(t, rows)) {
                    k.matVec(TileLayout.repack(w, arena.allocate(w.data().byteSize(), 64)), x, out, 0, 0, rows);
                    h = mix(h, out);
                }
            }
        }
        return h;
    }

    private static long mix(long h, float... values) {
        for (float v : values) {
            h = 31 * h + Float.floatToRawIntBits(v);
        }
        return h;
    }
}
